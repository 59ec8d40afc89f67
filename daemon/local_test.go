package daemon

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Ctrl-C during the local daemon's start-up wait returns at once with the
// context's error, and the daemon that was started is killed: a buildkitd
// that never answers stands in for a slow one.
func TestEnsureLocalHonoursCancel(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("STAGEBUILD_HOME", filepath.Join(dir, "state"))
	t.Setenv("STAGEBUILD_BUILDKITD_CONFIG", "")
	pidFile := filepath.Join(dir, "started.pid")
	fake := filepath.Join(dir, "buildkitd")
	script := "#!/bin/sh\necho $$ > " + pidFile + "\nexec sleep 300\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runc"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STAGEBUILD_BUILDKITD", fake)
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pid int
	var cancelled time.Time
	go func() {
		for {
			if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
				pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // inside the wait loop
		cancelled = time.Now()
		cancel()
	}()
	_, err := EnsureLocal(ctx, io.Discard)
	took := time.Since(cancelled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("EnsureLocal = %v, want context.Canceled", err)
	}
	if took > 2*time.Second {
		t.Errorf("returned %v after the cancel, want promptly", took)
	}
	if pid == 0 {
		t.Fatal("the fake buildkitd never started")
	}
	if err := syscall.Kill(pid, 0); err == nil {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the started daemon (pid %d) still runs", pid)
	}
	l, err := LocalDaemon()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(l.Dir, "buildkitd.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
}
