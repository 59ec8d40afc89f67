// Package detach keeps the descriptors a process inherited out of the
// long-running processes it starts (buildkitd, dockerd, the registry).
package detach

import (
	"os"
	"strconv"
	"syscall"
)

// CloseInherited marks every descriptor above stderr close-on-exec. Go
// opens its own files that way, but a descriptor inherited from the parent
// (a shell's `exec 9>lock` around `flock 9`) is not, and a daemon started
// from this process would keep it, and the lock, for as long as it runs.
func CloseInherited() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
