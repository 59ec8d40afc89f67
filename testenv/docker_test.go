package testenv

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDockerLayout(t *testing.T) {
	d := dockerLayout("/root/.local/state/stagebuild")
	if d.sock != "/root/.local/state/stagebuild/docker/docker.sock" || d.execRoot != "/root/.local/state/stagebuild/docker/exec" {
		t.Errorf("short state dir: sock %s, exec-root %s", d.sock, d.execRoot)
	}
	if got := DockerHost("/root/.local/state/stagebuild"); got != "unix:///root/.local/state/stagebuild/docker/docker.sock" {
		t.Errorf("DockerHost = %s", got)
	}

	long := "/" + strings.Repeat("very-long-directory-name/", 6) + "state"
	a, b := dockerLayout(long), dockerLayout(long+"2")
	if len(a.sock) > maxSockPath || len(a.execRoot)+execRootSockets > maxSockPath {
		t.Errorf("long state dir: sock %s (%d) or exec-root %s too long", a.sock, len(a.sock), a.execRoot)
	}
	if !strings.HasPrefix(a.dataRoot, long) || !strings.HasPrefix(a.pidFile, long) {
		t.Errorf("long state dir: data %s and pid file %s must stay in the state dir", a.dataRoot, a.pidFile)
	}
	if a.sock == b.sock || a.execRoot == b.execRoot {
		t.Errorf("two state dirs share a socket: %s", a.sock)
	}
	if dockerLayout(long) != a {
		t.Errorf("layout is not stable")
	}
}

// serveUnix answers every request on a new unix socket with status and body.
func serveUnix(t *testing.T, status int, body string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_ping" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock
}

func TestDockerPing(t *testing.T) {
	if err := dockerPing(t.Context(), serveUnix(t, 200, "OK")); err != nil {
		t.Errorf("engine answering OK: %v", err)
	}
	if err := dockerPing(t.Context(), serveUnix(t, 200, "hello")); err == nil {
		t.Errorf("a server that is not an engine passed the ping")
	}
	if err := dockerPing(t.Context(), serveUnix(t, 500, "OK")); err == nil {
		t.Errorf("a failing engine passed the ping")
	}
	if err := dockerPing(t.Context(), filepath.Join(t.TempDir(), "none.sock")); err == nil {
		t.Errorf("a missing socket passed the ping")
	}
}

// startAs runs `sleep 60` under another command name and returns its pid.
func startAs(t *testing.T, name string) *exec.Cmd {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// stopDocker stops the process in its pid file only when that is a dockerd.
func TestStopDocker(t *testing.T) {
	d := dockerLayout(t.TempDir())
	if err := stopDocker(d); err != nil {
		t.Fatalf("no pid file: %v", err)
	}
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		t.Fatal(err)
	}

	other := startAs(t, "not-docker")
	writePid(t, d.pidFile, other.Process.Pid)
	if err := stopDocker(d); err != nil {
		t.Fatal(err)
	}
	if !alive(other.Process.Pid) {
		t.Fatalf("stopDocker killed a process that is not dockerd")
	}
	if _, err := os.Stat(d.pidFile); !os.IsNotExist(err) {
		t.Errorf("stale pid file kept: %v", err)
	}

	fake := startAs(t, "dockerd")
	writePid(t, d.pidFile, fake.Process.Pid)
	done := make(chan struct{})
	go func() { fake.Wait(); close(done) }()
	if err := stopDocker(d); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("the dockerd in the pid file still runs")
	}
}

func writePid(t *testing.T, path string, pid int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWithSbin(t *testing.T) {
	if got := withSbin("/usr/bin:/usr/sbin"); got != "/usr/bin:/usr/sbin:/usr/local/sbin:/sbin" {
		t.Errorf("withSbin = %s", got)
	}
	if got := withSbin(""); got != "/usr/local/sbin:/usr/sbin:/sbin" {
		t.Errorf("withSbin(\"\") = %s", got)
	}
}
