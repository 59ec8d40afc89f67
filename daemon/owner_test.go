package daemon

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A stand-in buildkitd: the test binary run as argv[0] "buildkitd" with
// --addr, listening on the socket when STAGEBUILD_FAKE_LISTEN is set.
func TestHelperFakeBuildkitd(t *testing.T) {
	sock := os.Getenv("STAGEBUILD_FAKE_SOCK")
	if sock == "" {
		t.Skip("helper process")
	}
	if os.Getenv("STAGEBUILD_FAKE_LISTEN") != "" {
		l, err := net.Listen("unix", sock)
		if err != nil {
			os.Exit(3)
		}
		defer l.Close()
	}
	time.Sleep(5 * time.Minute)
}

func startFake(t *testing.T, l Local, listen bool) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFakeBuildkitd$", "--", "--root", l.Dir, "--addr", l.Addr())
	cmd.Args[0] = "buildkitd"
	cmd.Env = append(os.Environ(), "STAGEBUILD_FAKE_SOCK="+l.Socket)
	if listen {
		cmd.Env = append(cmd.Env, "STAGEBUILD_FAKE_LISTEN=1")
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; listen && i < 100 && !holdsSocket(cmd.Process.Pid, l.Socket); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	return cmd
}

func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// Issue 13, item 3: a stale buildkitd.pid never gets an unrelated process
// signalled; only a buildkitd of this socket that holds it is stopped.
func TestStopPidOnlyOurBuildkitd(t *testing.T) {
	dir := t.TempDir()
	l := Local{Dir: dir, Socket: filepath.Join(dir, "buildkitd.sock")}
	pidFile := filepath.Join(dir, "buildkitd.pid")
	other := Local{Dir: dir, Socket: filepath.Join(dir, "other.sock")}
	for name, cmd := range map[string]*exec.Cmd{
		"an unrelated sleep":                 startSleep(t),
		"a buildkitd not holding the socket": startFake(t, l, false),
		"a buildkitd of another address":     startFake(t, other, true),
	} {
		pid := cmd.Process.Pid
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(pid)), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := ownedPid(l); got != 0 {
			t.Errorf("%s: ownedPid = %d, want 0", name, got)
		}
		if err := stopPid(l); err != nil {
			t.Errorf("%s: stopPid = %v", name, err)
		}
		time.Sleep(100 * time.Millisecond)
		if !processAlive(pid) {
			t.Errorf("%s (pid %d) was signalled", name, pid)
		}
		if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
			t.Errorf("%s: the stale pid file stays: %v", name, err)
		}
	}
	ours := startFake(t, l, true)
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(ours.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := ownedPid(l); got != ours.Process.Pid {
		t.Fatalf("ownedPid = %d, want our fake buildkitd %d (%s)", got, ours.Process.Pid, notOurs(ours.Process.Pid, l))
	}
	if err := stopPid(l); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ours.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("our buildkitd was not stopped")
	}
}

// A restart waits for every build that holds the users lock, and gives up
// when its context ends.
func TestWaitForUsers(t *testing.T) {
	dir := t.TempDir()
	l := Local{Dir: dir}
	t.Cleanup(func() {
		users.Lock()
		defer users.Unlock()
		if users.f != nil {
			users.f.Close()
			users.f = nil
		}
	})
	other, err := os.OpenFile(filepath.Join(dir, "users"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := syscall.Flock(int(other.Fd()), syscall.LOCK_SH); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := waitForUsers(ctx, l, io.Discard); err != context.DeadlineExceeded {
		t.Fatalf("with another build holding the daemon: %v, want the context's deadline", err)
	}
	got := make(chan error, 1)
	go func() {
		f, err := waitForUsers(context.Background(), l, io.Discard)
		if err == nil {
			err = keepUsers(f)
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the restart did not wait for the other build: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	_ = syscall.Flock(int(other.Fd()), syscall.LOCK_UN)
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the restart still waits after the other build ended")
	}
	// This process now holds it shared: another user can join, a restart
	// cannot.
	if err := syscall.Flock(int(other.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		t.Errorf("a second build cannot share the daemon: %v", err)
	}
	if err := syscall.Flock(int(other.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		t.Errorf("a restart could take the daemon from this process")
	}
}
