package detach

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A descriptor inherited without close-on-exec reaches a child until
// CloseInherited marks it.
func TestCloseInherited(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/lock")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); errno != 0 {
		t.Fatal(errno)
	}
	child := func() bool {
		out, err := exec.Command("/bin/sh", "-c", "test -e /proc/self/fd/"+strconv.Itoa(fd)+" && echo open || echo closed").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out)) == "open"
	}
	if !child() {
		t.Fatal("setup: the child did not inherit the descriptor")
	}
	CloseInherited()
	if child() {
		t.Error("the child still inherits the descriptor")
	}
}
