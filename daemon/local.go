package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stagebuild/stagebuild/internal/detach"
	"github.com/stagebuild/stagebuild/state"
)

// Local describes the local daemon's files.
type Local struct {
	Dir    string
	Socket string
	Config string
}

// LocalDaemon returns the local daemon's paths; the error is a missing
// state dir (state.Dir).
func LocalDaemon() (Local, error) {
	sd, err := state.Dir()
	if err != nil {
		return Local{}, err
	}
	dir := filepath.Join(sd, "buildkitd")
	cfg := os.Getenv("STAGEBUILD_BUILDKITD_CONFIG")
	if cfg == "" {
		cfg = filepath.Join(sd, "buildkitd.toml")
	}
	return Local{Dir: dir, Socket: filepath.Join(dir, "buildkitd.sock"), Config: cfg}, nil
}

// Addr is the local daemon's BuildKit address.
func (l Local) Addr() string { return "unix://" + l.Socket }

// SetupError is a missing prerequisite, with the fix in its text.
type SetupError struct{ Msg string }

func (e *SetupError) Error() string { return e.Msg }

// findBuildkitd looks in $STAGEBUILD_BUILDKITD, next to this executable,
// then on PATH.
func findBuildkitd() (string, error) {
	if p := os.Getenv("STAGEBUILD_BUILDKITD"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", &SetupError{fmt.Sprintf("STAGEBUILD_BUILDKITD=%s: no such file (build it with `make bin/buildkitd`, or unset it)", p)}
		}
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "buildkitd")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("buildkitd"); err == nil {
		return p, nil
	}
	return "", &SetupError{"buildkitd not found next to stagebuild or on PATH: run `make bin/buildkitd` in the stagebuild checkout " +
		"(it builds the pinned github.com/moby/buildkit/cmd/buildkitd), or set BUILDKIT_HOST to a running daemon"}
}

// EnsureLocal returns the address of the local daemon, starting it if it is
// not running or if its config changed since it started.
func EnsureLocal(ctx context.Context, log io.Writer) (string, error) {
	l, err := LocalDaemon()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return "", fmt.Errorf("local daemon state %s: %w", l.Dir, err)
	}
	unlock, err := lockFile(filepath.Join(l.Dir, "lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	want := configHash(l.Config)
	have, _ := os.ReadFile(filepath.Join(l.Dir, "config.sha256"))
	answers := ping(ctx, l.Addr(), 3*time.Second) == nil
	running := ownedPid(l) != 0
	if !answers && running {
		// Busy (many builds on two cores) is not dead: ask again, longer.
		answers = ping(ctx, l.Addr(), 20*time.Second) == nil
	}
	if answers && string(have) == want {
		return l.Addr(), holdUsers(l)
	}
	bin, err := findBuildkitd()
	if err != nil {
		return "", err
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return "", &SetupError{"runc not found on PATH: install it (Debian/Ubuntu: apt-get install runc), or set BUILDKIT_HOST to a running daemon"}
	}
	var excl *os.File
	if running {
		if answers {
			fmt.Fprintf(log, "stagebuild: buildkitd config changed; restarting the local daemon\n")
		}
		// Never under the builds that use it: wait for them first.
		if excl, err = waitForUsers(ctx, l, log); err != nil {
			return "", err
		}
		if ping(ctx, l.Addr(), 3*time.Second) == nil && string(have) == want {
			return l.Addr(), keepUsers(excl) // it was only busy
		}
	}
	if err := stopPid(l); err != nil { // ours only; a stale pid file is just removed
		return "", err
	}
	fmt.Fprintf(log, "stagebuild: starting local buildkitd (%s)\n", l.Addr())
	if err := start(ctx, bin, l); err != nil {
		if excl != nil {
			excl.Close()
		}
		return "", err
	}
	if err := os.WriteFile(filepath.Join(l.Dir, "config.sha256"), []byte(want), 0o600); err != nil {
		return "", err
	}
	if excl != nil {
		return l.Addr(), keepUsers(excl)
	}
	return l.Addr(), holdUsers(l)
}

// start starts buildkitd and waits up to 60s for it to answer. When ctx
// ends first (Ctrl-C), it kills the daemon it started and returns ctx's
// error.
func start(ctx context.Context, bin string, l Local) error {
	_ = os.Remove(l.Socket)
	logPath := filepath.Join(l.Dir, "buildkitd.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"--oci-worker=true", "--containerd-worker=false",
		"--root", filepath.Join(l.Dir, "root"), "--addr", l.Addr()}
	if _, err := os.Stat(l.Config); err == nil {
		args = append(args, "--config", l.Config)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	detach.CloseInherited() // or the daemon holds our parent's locks while it runs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := os.WriteFile(filepath.Join(l.Dir, "buildkitd.pid"), []byte(strconv.Itoa(pid)), 0o600); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("buildkitd exited during start-up: %s (full log: %s)", lastLine(logPath), logPath)
		case <-ctx.Done():
			abandon(cmd.Process, exited, l)
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if ping(ctx, l.Addr(), time.Second) == nil {
			return nil
		}
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	return fmt.Errorf("buildkitd did not answer on %s within 60s (log: %s)", l.Addr(), logPath)
}

// abandon kills a daemon that start started and no longer waits for, and
// removes its pid file, so the next build starts afresh.
func abandon(p *os.Process, exited <-chan struct{}, l Local) {
	_ = p.Kill()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
	}
	_ = os.Remove(filepath.Join(l.Dir, "buildkitd.pid"))
}

// StopLocal stops the local daemon if it runs.
func StopLocal() error {
	l, err := LocalDaemon()
	if err != nil {
		return err
	}
	return stopPid(l)
}

func configHash(path string) string {
	h := sha256.New()
	if b, err := os.ReadFile(path); err == nil {
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func lastLine(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, errors.Join(fmt.Errorf("locking %s", path), err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
