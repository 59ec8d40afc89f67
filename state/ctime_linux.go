package state

import (
	"os"
	"syscall"
)

// ctime is the file's status change time in ns, 0 when unknown.
func ctime(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctim.Nano()
	}
	return 0
}
