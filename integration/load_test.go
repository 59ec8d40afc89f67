package integration

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docker runs the docker CLI against the test env's engine. Not on
// t.Context(): that is cancelled before the cleanups that remove containers.
func docker(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// errorLines are stderr's lines other than warnings.
func errorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "stagebuild: warning:") {
			out = append(out, l)
		}
	}
	return out
}

// oneErrorLine fails unless r exited with code and printed exactly one
// error line containing every want.
func oneErrorLine(t *testing.T, r result, code int, want ...string) string {
	t.Helper()
	lines := errorLines(r.stderr)
	if r.code != code || len(lines) != 1 {
		t.Fatalf("want exit %d and one error line, got exit %d and %d lines:\n%s", code, r.code, len(lines), tail(r.stderr, 30))
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("error line lacks %q: %s", w, lines[0])
		}
	}
	return lines[0]
}

// --load puts the gated service image into the Docker engine: it serves
// HTTP under docker run, and has no pytest (seed 001's check).
func TestLoadServiceImage(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	image := "stagebuild-it/svc:" + randomID()
	t.Cleanup(func() { docker(t, "rmi", "-f", image) })
	stagebuildEnv(t, dir, []string{"DOCKER_HOST=" + env.DockerHost}, "build", "--target", "service",
		"--progress", "plain", "--load", "-t", image).mustSucceed(t)

	if out, err := docker(t, "image", "inspect", "--format", "{{.Config.User}} {{json .Config.Entrypoint}}", image); err != nil {
		t.Fatalf("docker image inspect %s: %v: %s", image, err, out)
	} else if out != `nobody ["/app/docker-entrypoint.sh"]` {
		t.Errorf("loaded image config: %s", out)
	}

	port := freePort(t)
	name := "stagebuild-it-" + randomID()
	t.Cleanup(func() { docker(t, "rm", "-f", name) })
	if out, err := docker(t, "run", "-d", "--name", name, "--network", "host",
		"-e", "PORT="+strconv.Itoa(port), "-e", "WORKERS=1", image); err != nil {
		t.Fatalf("docker run: %v: %s", err, out)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/health"
	waitHTTP(t, name, url)

	// The entrypoint script execs its arguments, so the shell reports the
	// missing pytest; with pytest as the entrypoint, as in seed 001's image
	// that had none, runc does, in seed 001's words.
	out, err := docker(t, "run", "--rm", "--network", "none", image, "pytest")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 127 || !strings.Contains(out, "pytest: not found") {
		t.Errorf("docker run %s pytest: want exit 127 and \"pytest: not found\", got %v: %s", image, err, out)
	}
	out, err = docker(t, "run", "--rm", "--network", "none", "--entrypoint", "pytest", image)
	if err == nil || !strings.Contains(out, `exec: "pytest": executable file not found in $PATH`) {
		t.Errorf("docker run --entrypoint pytest %s: want seed 001's \"executable file not found\", got %v: %s", image, err, out)
	}
}

// With no engine at DOCKER_HOST, --load fails at once on one line, before
// any build work.
func TestLoadWithoutEngine(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	dead := "unix://" + filepath.Join(t.TempDir(), "docker.sock")
	start := time.Now()
	r := stagebuildEnv(t, dir, []string{"DOCKER_HOST=" + dead}, "build", "--target", "service",
		"--progress", "plain", "--load", "-t", "stagebuild-it/never:1")
	line := oneErrorLine(t, r, 1, "--load", "no Docker engine", "DOCKER_HOST")
	if strings.Contains(r.stderr, "#1 ") || strings.Contains(r.stderr, "[deps") {
		t.Errorf("a build ran before the --load check:\n%s", tail(r.stderr, 20))
	}
	if _, err := os.Stat(filepath.Join(dir, "stagebuild-reports")); err == nil {
		t.Errorf("gates ran before the --load check")
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %s", d)
	}
	t.Logf("error: %s", line)
}
