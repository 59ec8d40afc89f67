package integration

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// webPipeline is a gate beside a busybox web server. The server's shell
// keeps marker on its command line, so the process table shows whether it
// still runs; test is the gate's test command.
func webPipeline(marker, serviceExtra, test string) string {
	return `version: 1
default: image
services:
  web:
    image: busybox:latest
    command: mkdir -p /www && echo hello > /www/index.html && httpd -f -p 127.0.0.1:$PORT -h /www; echo ` + marker + `
    ports: {http: PORT}
    readiness:
      http: {path: /index.html, body: hello}
    timeout: 20s
` + serviceExtra + `
stages:
  image: {from: busybox:latest, gated_by: [tests]}
  tests:
    from: busybox:latest
    services: [web]
    env:
      RUN: "` + marker + `"
      URL: http://${services.web.host}:${services.web.port}/index.html
    test: ` + test + "\n"
}

// processes lists the command lines that contain s.
func processes(s string) []string {
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		line := string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		if strings.Contains(line, s) && !strings.Contains(line, "/proc/") {
			out = append(out, line)
		}
	}
	return out
}

// assertGone fails unless no process carries marker (allowing the daemon a
// moment to reap what it killed).
func assertGone(t *testing.T, marker string) {
	t.Helper()
	assertGoneWithin(t, marker, 2*time.Second)
}

// assertGoneWithin is assertGone with a longer wait, and it also asks the
// container runtime that the daemon drives (runc) for a container whose
// process carries marker.
func assertGoneWithin(t *testing.T, marker string, wait time.Duration) {
	t.Helper()
	var left, ctrs []string
	for end := time.Now().Add(wait); ; time.Sleep(100 * time.Millisecond) {
		left, ctrs = processes(marker), runcContainers(t, marker)
		if len(left) == 0 && len(ctrs) == 0 {
			return
		}
		if time.Now().After(end) {
			break
		}
	}
	t.Errorf("left running: processes %q, containers %q", left, ctrs)
}

// runcContainers lists the runc containers whose init process's command
// line holds marker.
func runcContainers(t *testing.T, marker string) []string {
	t.Helper()
	var out []byte
	var err error
	for try := 0; try < 10; try++ { // fails while a container's state goes
		if out, err = exec.Command("runc", "list", "-q").Output(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		t.Fatalf("runc list: %v", err)
	}
	var found []string
	for _, id := range strings.Fields(string(out)) {
		st, err := exec.Command("runc", "state", id).Output()
		if err != nil {
			continue // gone meanwhile
		}
		m := regexp.MustCompile(`"pid": (\d+)`).FindSubmatch(st)
		if m == nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + string(m[1]) + "/cmdline")
		if strings.Contains(string(b), marker) {
			found = append(found, id)
		}
	}
	return found
}

var servicePorts = regexp.MustCompile(`\[service (\S+) for \S+\] .* \((?:\w+=127\.0\.0\.1:(\d+)(?:, )?)+\)`)

// portsOf returns the ports a build's plain progress says its services got.
func portsOf(out string) []string {
	var ports []string
	for _, m := range servicePorts.FindAllStringSubmatch(out, -1) {
		if !slices.Contains(ports, m[2]) {
			ports = append(ports, m[2])
		}
	}
	return ports
}

func assertClosed(t *testing.T, port string) {
	t.Helper()
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
		c.Close()
		t.Errorf("port %s still accepts connections after the build", port)
	}
}

// The verdict of a gate with services is cached across runs whose ports
// differ, reruns when the service's config changes, and no service process
// outlives a build.
func TestServicesCacheAndCleanup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := "stagebuild-web-" + randomID()
	yaml := filepath.Join(dir, "stagebuild.yaml")
	writeFile(t, yaml, webPipeline(marker, "", `wget -qO- "$URL" | grep hello`))
	first := stagebuild(t, dir, "build", "--progress", "plain").mustSucceed(t)
	if !strings.Contains(first.stderr, "gate tests passed") || !strings.Contains(first.stderr, "#") {
		t.Fatalf("no passing gate:\n%s", tail(first.stderr, 30))
	}
	p1 := portsOf(first.stderr)
	if len(p1) != 1 {
		t.Fatalf("ports of the first build: %v\n%s", p1, first.stderr)
	}
	assertGone(t, marker)
	assertClosed(t, p1[0])

	second := stagebuild(t, dir, "build", "--progress", "rawjson").mustSucceed(t)
	if v := find(t, parseRawJSON(t, second.stderr), "[tests 1/1] TEST"); !v.Cached {
		t.Errorf("nothing changed, yet the test ran again: %+v", v)
	}
	third := stagebuild(t, dir, "build", "--progress", "plain").mustSucceed(t)
	if p3 := portsOf(third.stderr); len(p3) == 1 && p3[0] == p1[0] {
		t.Logf("the same port %s twice (possible, unlikely)", p3[0])
	}
	assertGone(t, marker)

	// A change of the service's config (here its readiness) reruns the gate.
	text, _ := os.ReadFile(yaml)
	writeFile(t, yaml, strings.Replace(string(text), "body: hello}", "body: hel+o}", 1))
	changed := stagebuild(t, dir, "build", "--progress", "rawjson").mustSucceed(t)
	if v := find(t, parseRawJSON(t, changed.stderr), "[tests 1/1] TEST"); v.Cached {
		t.Errorf("the service's config changed, yet the verdict came from the cache")
	}
	assertGone(t, marker)
}

// A service that is not ready in time, or exits, fails the build with an
// error that names it and shows its last 30 log lines; nothing is left
// running.
func TestServicesReadinessFailure(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, command, want string
	}{
		{"timeout", "i=1; while [ $i -le 40 ]; do echo log line $i; i=$((i+1)); done; sleep 600; echo MARKER",
			`service "web" (for gate "tests"): not ready within 3s: port http (127.0.0.1:`},
		{"crash", "echo MARKER; i=1; while [ $i -le 40 ]; do echo log line $i; i=$((i+1)); done; exit 3",
			`service "web" (for gate "tests"): it exited before it was ready`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			marker := "stagebuild-slow-" + randomID()
			writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
default: image
services:
  web:
    image: busybox:latest
    command: `+strings.Replace(c.command, "MARKER", marker, 1)+`
    ports: {http: PORT}
    readiness: {tcp: http}
    timeout: 3s
stages:
  image: {from: busybox:latest, gated_by: [tests]}
  tests:
    from: busybox:latest
    services: [web]
    env: {URL: "http://${services.web.host}:${services.web.port}/"}
    test: wget -qO- $URL
`)
			r := stagebuild(t, dir, "build", "--progress", "plain")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, tail(r.stderr, 40))
			}
			if !strings.Contains(r.stderr, c.want) {
				t.Errorf("stderr lacks %q:\n%s", c.want, tail(r.stderr, 40))
			}
			block := r.stderr[strings.LastIndex(r.stderr, "------ service web (for gate tests)"):]
			if !strings.Contains(block, "log line 11\n") || !strings.Contains(block, "log line 40\n") || strings.Contains(block, "log line 10\n") {
				t.Errorf("the error block does not hold exactly the last 30 log lines:\n%s", block)
			}
			last := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if l := last[len(last)-1]; !strings.HasPrefix(l, "stagebuild: "+c.want[:len(`service "web" (for gate "tests"): `)]) {
				t.Errorf("last line %q does not name the service", l)
			}
			assertGone(t, marker)
		})
	}
}

// SIGINT while a gate's test runs beside its service: exit 130 and the
// service is gone.
func TestServicesInterrupt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := "stagebuild-int-" + randomID()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), webPipeline(marker, "", `wget -qO- "$URL" && sleep 300`))
	cmd := exec.Command(binPath, "build", "--progress", "plain")
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for len(processes(marker)) == 0 || !strings.Contains(errb.String(), "[tests 1/1] TEST") {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the service and its test did not start:\n%s", tail(errb.String(), 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second) // the test is in its sleep
	if len(runcContainers(t, marker)) == 0 {
		t.Errorf("runc shows no container of the service while it runs: asking it afterwards would prove nothing")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("stagebuild did not stop within a minute of SIGINT:\n%s", tail(errb.String(), 30))
	}
	if code := cmd.ProcessState.Sys().(syscall.WaitStatus).ExitStatus(); code != 130 {
		t.Errorf("exit %d, want 130\n%s", code, tail(errb.String(), 20))
	}
	assertGone(t, marker)
	for _, p := range portsOf(errb.String()) {
		assertClosed(t, p)
	}
}

// A second Ctrl-C is not swallowed: stagebuild exits 130 at once, without
// waiting for the build to unwind, and still leaves no service process, no
// container and no partial output.
func TestServicesSecondInterrupt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := "stagebuild-int2-" + randomID()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), webPipeline(marker, "", `wget -qO- "$URL" && sleep 300`))
	cmd := exec.Command(binPath, "build", "--progress", "plain", "-o", "type=local,dest=out", "-o", "type=oci,dest=img.tar")
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for len(processes(marker)) == 0 || !strings.Contains(errb.String(), "[tests 1/1] TEST") {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the service and its test did not start:\n%s", tail(errb.String(), 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second) // the test is in its sleep
	if len(runcContainers(t, marker)) == 0 {
		t.Errorf("runc shows no container of the service while it runs: asking it afterwards would prove nothing")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("stagebuild did not stop within 10s of a second SIGINT:\n%s", tail(errb.String(), 30))
	}
	t.Logf("exited %s after the second SIGINT", time.Since(start).Round(time.Millisecond))
	if code := cmd.ProcessState.Sys().(syscall.WaitStatus).ExitStatus(); code != 130 {
		t.Errorf("exit %d, want 130\n%s", code, tail(errb.String(), 20))
	}
	if !strings.Contains(errb.String(), "\nstagebuild: interrupted again: exiting now\n") {
		t.Errorf("no word of the second interrupt:\n%s", tail(errb.String(), 20))
	}
	// The daemon ends the session's containers once stagebuild is gone.
	assertGoneWithin(t, marker, 30*time.Second)
	for _, p := range portsOf(errb.String()) {
		assertClosed(t, p)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{"stagebuild.yaml"}; !slices.Equal(names, want) {
		t.Errorf("the project holds %q after the interrupt, want only %q", names, want)
	}
}
