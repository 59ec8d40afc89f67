package daemon

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A pid file outlives its process (a crash, a reboot) and its pid gets
// reused, so stagebuild signals the pid in buildkitd.pid only once it has
// proved the process is this state dir's buildkitd: its command line is
// buildkitd's with --addr naming this socket, and it holds that socket.

// notOurs says why pid is not l's buildkitd, or "" when it is.
func notOurs(pid int, l Local) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return "it does not run"
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if filepath.Base(args[0]) != "buildkitd" {
		return fmt.Sprintf("it runs %q, not buildkitd", filepath.Base(args[0]))
	}
	addr := false
	for i, a := range args {
		addr = addr || a == "--addr="+l.Addr() || (a == "--addr" && i+1 < len(args) && args[i+1] == l.Addr())
	}
	if !addr {
		return "it is a buildkitd of another address"
	}
	if !holdsSocket(pid, l.Socket) {
		return "it does not hold " + l.Socket
	}
	return ""
}

// holdsSocket reports whether one of pid's open files is the unix socket
// bound to path.
func holdsSocket(pid int, path string) bool {
	inodes := socketInodes(path)
	if len(inodes) == 0 {
		return false
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") && inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			return true
		}
	}
	return false
}

// socketInodes are the inodes of the unix sockets bound to path
// (/proc/net/unix: Num RefCount Protocol Flags Type St Inode Path).
func socketInodes(path string) map[string]bool {
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return nil
	}
	defer f.Close()
	inodes := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 8 && fields[7] == path {
			inodes[fields[6]] = true
		}
	}
	return inodes
}

// pidFromFile reads l's pid file; 0 when there is none or it is garbage.
func pidFromFile(l Local) int {
	b, err := os.ReadFile(filepath.Join(l.Dir, "buildkitd.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0
	}
	return pid
}

// ownedPid is the pid of l's running buildkitd, proven ours, or 0.
func ownedPid(l Local) int {
	if pid := pidFromFile(l); pid != 0 && notOurs(pid, l) == "" {
		return pid
	}
	return 0
}

func stopPid(l Local) error {
	pidFile := filepath.Join(l.Dir, "buildkitd.pid")
	pid := pidFromFile(l)
	if pid == 0 {
		return nil
	}
	if why := notOurs(pid, l); why != "" {
		// A stale file: its pid belongs to someone else now. Never signal it.
		_ = os.Remove(pidFile)
		return nil
	}
	// A daemon stuck in a session can ignore SIGTERM; give it 10s, then kill
	// (if it is still the same process).
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if notOurs(pid, l) != "" && !processAlive(pid) {
			break
		}
		_ = syscall.Kill(pid, sig)
		for i := 0; i < 100 && processAlive(pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if !processAlive(pid) {
			break
		}
	}
	if processAlive(pid) {
		return fmt.Errorf("local buildkitd (pid %d) did not stop, even after SIGKILL", pid)
	}
	_ = os.Remove(pidFile)
	return nil
}

// processAlive reports whether pid runs and is not a zombie.
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// Every stagebuild process that uses the local daemon holds a shared lock
// on its users file until it exits. A restart (a changed config, a daemon
// that stopped answering) takes the lock exclusively first, so it waits for
// the builds on the old daemon instead of killing it under them.
var users struct {
	sync.Mutex
	f *os.File // this process's shared hold
}

// holdUsers takes this process's shared hold on l's users file, once.
func holdUsers(l Local) error {
	users.Lock()
	defer users.Unlock()
	if users.f != nil {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(l.Dir, "users"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	users.f = f
	return nil
}

// waitForUsers returns once no other process uses l's daemon, holding the
// users file exclusively (downgraded to this process's shared hold by
// holdUsers' caller through keepUsers). It gives up when ctx ends.
func waitForUsers(ctx context.Context, l Local, log io.Writer) (*os.File, error) {
	users.Lock()
	if users.f != nil { // this process's own hold must not block it
		_ = users.f.Close()
		users.f = nil
	}
	users.Unlock()
	f, err := os.OpenFile(filepath.Join(l.Dir, "users"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for said := false; ; said = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		if !said {
			fmt.Fprintf(log, "stagebuild: waiting for the builds using the local buildkitd to finish before restarting it\n")
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// keepUsers turns the exclusive hold of waitForUsers into this process's
// shared one.
func keepUsers(f *os.File) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return err
	}
	users.Lock()
	defer users.Unlock()
	if users.f != nil {
		users.f.Close()
	}
	users.f = f
	return nil
}
