package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/moby/buildkit/client"
)

// daemon is the harness's own buildkitd: its root, socket and config are
// private, so it never touches the shared default daemon.
type daemon struct {
	bin, config, root string
	cmd               *exec.Cmd
	exited            chan struct{}
}

func (d *daemon) addr() string { return "unix://" + filepath.Join(d.root, "buildkitd.sock") }

// start runs buildkitd on d.root and waits until it answers.
func (d *daemon) start(ctx context.Context) error {
	if err := os.MkdirAll(d.root, 0o700); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(d.root), "buildkitd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(d.bin, "--oci-worker=true", "--containerd-worker=false",
		"--root", d.root, "--addr", d.addr(), "--config", d.config)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so a Ctrl-C on the terminal reaches only the
	// harness, which then stops the daemon in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", d.bin, err)
	}
	d.cmd, d.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(d.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-d.exited:
			d.cmd = nil
			return fmt.Errorf("buildkitd exited during start-up (log: %s)", logf.Name())
		case <-ctx.Done():
			d.stop()
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if d.ping(ctx) == nil {
			return nil
		}
	}
	d.stop()
	return fmt.Errorf("buildkitd did not answer on %s within 60s", d.addr())
}

func (d *daemon) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := client.New(ctx, d.addr())
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.ListWorkers(ctx)
	return err
}

// stop ends the daemon this harness started (by its pid): SIGTERM, then
// SIGKILL after 15s.
func (d *daemon) stop() {
	if d.cmd == nil {
		return
	}
	pid := d.cmd.Process.Pid
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		_ = syscall.Kill(pid, sig)
		select {
		case <-d.exited:
			d.cmd = nil
			return
		case <-time.After(15 * time.Second):
		}
	}
	d.cmd = nil
}

// fresh stops the daemon, deletes its root (the whole build cache) and
// starts it again: the next build is cold.
func (d *daemon) fresh(ctx context.Context) error {
	d.stop()
	if err := removeRoot(d.root); err != nil {
		return err
	}
	return d.start(ctx)
}

// removeRoot deletes a stopped daemon's root. A daemon that had to be
// killed can leave overlay mounts behind; those under root are detached
// first (only under root: nothing else is touched).
func removeRoot(root string) error {
	err := os.RemoveAll(root)
	if err == nil {
		return nil
	}
	mounts, merr := mountsUnder(root)
	if merr != nil {
		return errors.Join(err, merr)
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		_ = syscall.Unmount(mounts[i], syscall.MNT_DETACH)
	}
	return os.RemoveAll(root)
}

func mountsUnder(root string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], root+"/") {
			out = append(out, fields[4])
		}
	}
	return out, sc.Err()
}
