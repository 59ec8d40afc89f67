package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stagebuild/stagebuild/internal/detach"
)

// maxSockPath is the longest unix socket path the kernel accepts: sun_path
// is 108 bytes, NUL included.
const maxSockPath = 107

// execRootSockets is room for the longest socket dockerd and its managed
// containerd create under --exec-root ("containerd/containerd.sock.ttrpc").
const execRootSockets = 40

// dockerPaths is where the test env's own dockerd keeps its state.
type dockerPaths struct {
	dir      string // <state>/docker: data, pid file, log
	dataRoot string // --data-root
	execRoot string // --exec-root (containerd's sockets live here)
	sock     string // the API socket
	pidFile  string
	logFile  string
}

// dockerLayout puts everything under <state>/docker. When that makes a
// socket path too long for the kernel, the socket and the exec-root move to
// a short directory in os.TempDir() named after the state dir.
func dockerLayout(state string) dockerPaths {
	dir := filepath.Join(state, "docker")
	p := dockerPaths{
		dir:      dir,
		dataRoot: filepath.Join(dir, "data"),
		execRoot: filepath.Join(dir, "exec"),
		sock:     filepath.Join(dir, "docker.sock"),
		pidFile:  filepath.Join(dir, "dockerd.pid"),
		logFile:  filepath.Join(dir, "dockerd.log"),
	}
	if len(p.sock) > maxSockPath || len(p.execRoot)+execRootSockets > maxSockPath {
		sum := sha256.Sum256([]byte(dir))
		short := filepath.Join(os.TempDir(), "stagebuild-docker-"+hex.EncodeToString(sum[:4]))
		p.sock = filepath.Join(short, "docker.sock")
		p.execRoot = filepath.Join(short, "exec")
	}
	return p
}

// DockerHost is the DOCKER_HOST of the dockerd that Up starts for state.
func DockerHost(state string) string { return "unix://" + dockerLayout(state).sock }

// ensureDocker installs Debian's docker.io when dockerd is missing and starts
// a dockerd of our own on its own socket, unless it answers already.
func ensureDocker(ctx context.Context, p *progress, state string) error {
	d := dockerLayout(state)
	if dockerPing(ctx, d.sock) == nil {
		return nil
	}
	bin, err := lookSbin("dockerd")
	if err != nil {
		if err := installDockerIO(ctx, p); err != nil {
			return err
		}
		if bin, err = lookSbin("dockerd"); err != nil {
			return fmt.Errorf("installing docker.io: %w", err)
		}
	}
	// A dockerd of ours that does not answer is stuck or half dead.
	if err := stopDocker(d); err != nil {
		return err
	}
	for _, dir := range []string{d.dataRoot, d.execRoot, filepath.Dir(d.sock)} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("starting dockerd: %w", err)
		}
	}
	logf, err := os.OpenFile(d.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("starting dockerd: %w", err)
	}
	defer logf.Close()
	p.logf("starting dockerd on unix://%s (data %s, log %s)", d.sock, d.dataRoot, d.logFile)
	// Not CommandContext: the engine must outlive this process.
	cmd := exec.Command(bin, dockerdArgs(d)...)
	cmd.Env = append(os.Environ(), "PATH="+withSbin(os.Getenv("PATH")))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	detach.CloseInherited() // or the daemon holds our parent's locks while it runs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting dockerd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("starting dockerd: exited (%v): %s (log %s)", err, lastLine(d.logFile), d.logFile)
		case <-ctx.Done():
			return fmt.Errorf("starting dockerd: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
		if dockerPing(ctx, d.sock) == nil {
			return nil
		}
	}
	return fmt.Errorf("starting dockerd: no answer on %s after 60s, see %s", d.sock, d.logFile)
}

// dockerdArgs keep the engine off the host's networking: no bridge, no
// iptables; containers run with --network host or none.
func dockerdArgs(d dockerPaths) []string {
	return []string{"--data-root", d.dataRoot, "--exec-root", d.execRoot, "--pidfile", d.pidFile,
		"--host", "unix://" + d.sock, "--bridge=none", "--iptables=false", "--ip-masq=false"}
}

// installDockerIO apt-installs docker.io without starting the distribution's
// own dockerd (a policy-rc.d that denies service starts, if none is there).
// The package lists are refreshed only when the install needs it.
func installDockerIO(ctx context.Context, p *progress) error {
	p.logf("dockerd missing: apt-get install docker.io (about 15 s)")
	const policy = "/usr/sbin/policy-rc.d"
	if _, err := os.Stat(policy); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err == nil {
			defer os.Remove(policy)
		}
	}
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	args := []string{"install", "-y", "--no-install-recommends", "docker.io"}
	if err := run(ctx, p.w, "", env, "apt-get", args...); err == nil {
		return nil
	}
	if err := run(ctx, p.w, "", nil, "apt-get", "update"); err != nil {
		return fmt.Errorf("installing docker.io: apt-get update: %w", err)
	}
	if err := run(ctx, p.w, "", env, "apt-get", args...); err != nil {
		return fmt.Errorf("installing docker.io: apt-get install: %w", err)
	}
	return nil
}

// dockerPing is GET /_ping on the engine's socket.
func dockerPing(ctx context.Context, sock string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "OK" {
		return fmt.Errorf("%s is not a Docker engine (GET /_ping: %s %q)", sock, resp.Status, body)
	}
	return nil
}

// stopDocker stops the dockerd whose pid file is in d, and the containerd it
// supervises, if a kill left that one behind.
func stopDocker(d dockerPaths) error {
	stopPid(d.pidFile, "dockerd", 20*time.Second)
	stopPid(filepath.Join(d.execRoot, "containerd", "containerd.pid"), "containerd", 5*time.Second)
	if err := os.Remove(d.pidFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stopping dockerd: %w", err)
	}
	return nil
}

// stopPid sends SIGTERM to the process in pidFile if its command line names
// want, waits up to grace, then kills it.
func stopPid(pidFile, want string, grace time.Duration) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	name, _, _ := strings.Cut(string(cmdline), "\x00")
	if filepath.Base(name) != want {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for end := time.Now().Add(grace); time.Now().Before(end) && alive(pid); {
		time.Sleep(100 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// withSbin adds the sbin directories, where dockerd's helpers live, to path.
func withSbin(path string) string {
	for _, dir := range []string{"/usr/local/sbin", "/usr/sbin", "/sbin"} {
		if !strings.Contains(":"+path+":", ":"+dir+":") {
			path += ":" + dir
		}
	}
	return strings.TrimPrefix(path, ":")
}

// lastLine is the last non-empty line of a log file.
func lastLine(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
