package services

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The loop's output, however it is split into writes, gives each
// attempt's verdict with the last line of that attempt's own output.
func TestCmdLoopSplitsAttempts(t *testing.T) {
	changed := make(chan struct{}, 1)
	l := &cmdLoop{args: []string{"pg_isready", "-q"}, started: time.Now(), changed: changed}
	if ok, why := l.result(); ok || why != "waiting for the readiness command" {
		t.Fatalf("before any attempt: %v %q", ok, why)
	}
	for _, chunk := range []string{"no response\n", "\n" + readyMark + "2", "\nrejecting", " connections\n\n" + readyMark + "1\n"} {
		if _, err := l.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	want := `readiness command "pg_isready -q" exited with code 1: rejecting connections`
	if ok, why := l.result(); ok || why != want {
		t.Fatalf("after two failures: %v %q, want %q", ok, why, want)
	}
	select {
	case <-changed:
	default:
		t.Error("no signal after an attempt")
	}
	l.Write([]byte("\n" + readyMark + "0\n"))
	if ok, why := l.result(); !ok {
		t.Fatalf("after a success: %q", why)
	}
}

// The loop script, under a real shell, tries until the command succeeds,
// about every 50 ms, and then exits 0 by itself.
func TestReadyLoopScript(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "ready")
	l := &cmdLoop{args: []string{"test", "-e", flag}, started: time.Now(), changed: make(chan struct{}, 1)}
	cmd := exec.Command("/bin/sh", "-c", readyLoop, "stagebuild", "sh", "-c", `echo not yet; test -e "$0"`, flag)
	cmd.Stdout, cmd.Stderr = l, l
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if ok, why := l.result(); ok || why != `readiness command "test -e `+flag+`" exited with code 1: not yet` {
		t.Errorf("before the file: %v %q", ok, why)
	}
	ready := time.Now()
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the loop did not exit 0: %v", err)
	}
	if d := time.Since(ready); d > time.Second {
		t.Errorf("the loop took %s to see the command succeed", d)
	}
	if ok, why := l.result(); !ok {
		t.Errorf("after the file: %q", why)
	}
}
