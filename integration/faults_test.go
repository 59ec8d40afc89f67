package integration

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// slowPipeline sleeps $SLEEP seconds (the build arg, through the env) in
// its one step, with an id of its own so no other test's cache answers it.
func slowPipeline(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
default: app
args: {SLEEP: "0"}
stages:
  app:
    from: busybox:latest
    env: {SLEEP: "${SLEEP}"}
    run: echo `+randomID()+` > /id; sleep $SLEEP; echo slept-$SLEEP
`)
	return dir
}

// background is a stagebuild build running while the test acts.
type background struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	code   int
}

// startBuild starts stagebuild in dir and returns once its stderr shows
// want (a step that started).
func startBuild(t *testing.T, dir string, env []string, want string, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	t.Cleanup(cancel)
	b := &background{cmd: exec.CommandContext(ctx, binPath, args...), done: make(chan struct{})}
	b.cmd.Dir = dir
	b.cmd.Env = append(os.Environ(), env...)
	pipe, err := b.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		once := false
		for sc.Scan() {
			b.mu.Lock()
			b.stderr.WriteString(sc.Text() + "\n")
			b.mu.Unlock()
			if !once && strings.Contains(sc.Text(), want) {
				once = true
				close(seen)
			}
		}
		err := b.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			b.code = ee.ExitCode()
		}
		close(b.done)
	}()
	select {
	case <-seen:
	case <-b.done:
		t.Fatalf("the build ended (exit %d) before %q:\n%s", b.code, want, tail(b.output(), 20))
	case <-time.After(3 * time.Minute):
		t.Fatalf("no %q within 3m:\n%s", want, tail(b.output(), 20))
	}
	return b
}

func (b *background) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stderr.String()
}

func (b *background) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("the build did not end:\n%s", tail(b.output(), 20))
	}
	return b.code
}

// privatePID is the pid of the test's own buildkitd, checked to be a
// buildkitd of that state dir: the shared daemon is never touched.
func privatePID(t *testing.T, home string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "buildkitd", "buildkitd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	args := strings.Split(string(cmdline), "\x00")
	if pid <= 1 || filepath.Base(args[0]) != "buildkitd" || !strings.Contains(string(cmdline), "unix://"+filepath.Join(home, "buildkitd", "buildkitd.sock")) {
		t.Fatalf("pid %d is not this test's buildkitd: %q", pid, cmdline)
	}
	return pid
}

// kill -9 of the daemon mid-build: a one-line error, a non-zero exit, no
// partial output, and the next build works (the daemon starts afresh).
func TestKill9BuildkitdMidBuild(t *testing.T) {
	t.Parallel()
	fresh := freshDaemonEnv(t)
	home := strings.TrimPrefix(fresh[0], "STAGEBUILD_HOME=")
	t.Cleanup(func() { afterKilledDaemon(t, home) })
	dir := slowPipeline(t)
	b := startBuild(t, dir, fresh, "[app 1/1] RUN", "build", "--progress", "plain", "--build-arg", "SLEEP=60", "-o", "type=oci,dest=out/app.tar")
	pid := privatePID(t, home)
	time.Sleep(time.Second) // inside the step
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	code := b.wait(t)
	out := b.output()
	if code == 0 {
		t.Fatalf("exit 0 after the daemon was killed:\n%s", tail(out, 10))
	}
	var errLines []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(l, "stagebuild: ") && !strings.HasPrefix(l, "stagebuild: starting") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 || !strings.HasSuffix(out, errLines[0]+"\n") ||
		!strings.HasPrefix(errLines[0], "stagebuild: the BuildKit daemon stopped answering during the build (") {
		t.Errorf("want one error line saying the daemon went away, got: %q\n%s", errLines, tail(out, 10))
	}
	if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic") {
		t.Errorf("a stack trace or panic:\n%s", tail(out, 30))
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "out")); len(entries) != 0 {
		t.Errorf("partial output left behind: %v", entries)
	}
	t.Logf("after kill -9: exit %d, %s", code, errLines)

	r := stagebuildEnv(t, dir, fresh, "build", "--progress", "quiet", "-o", "type=oci,dest=out/app.tar").mustSucceed(t)
	if _, err := os.Stat(filepath.Join(dir, "out", "app.tar")); err != nil {
		t.Errorf("the next build wrote nothing: %v\n%s", err, r.stderr)
	}
	if again := privatePID(t, home); again == pid {
		t.Errorf("the killed daemon's pid %d is still named", pid)
	}
}

// afterKilledDaemon stops the test's daemon, then clears what the killed
// one left: its runc containers (runc's state under home) and its overlay
// mounts under home, so the temporary home can be removed. Nothing
// outside home is touched.
func afterKilledDaemon(t *testing.T, home string) {
	if b, err := os.ReadFile(filepath.Join(home, "buildkitd", "buildkitd.pid")); err == nil {
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if pid > 1 && strings.Contains(string(cmdline), home) {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	// The killed daemon's runc containers outlive it: delete them through
	// runc's state under home.
	states, _ := filepath.Glob(filepath.Join(home, "buildkitd", "root", "runc-*", "executor"))
	for _, st := range states {
		out, _ := exec.Command("runc", "--root", st, "list", "-q").Output()
		for _, id := range strings.Fields(string(out)) {
			_ = exec.Command("runc", "--root", st, "delete", "-f", id).Run()
		}
	}
	info, _ := os.ReadFile("/proc/self/mountinfo")
	var mounts []string
	for _, l := range strings.Split(string(info), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], home+"/") {
			mounts = append(mounts, f[4])
		}
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		_ = syscall.Unmount(mounts[i], syscall.MNT_DETACH)
	}
	if len(mounts) > 0 {
		t.Logf("detached %d mounts the killed daemon left under its home", len(mounts))
	}
}

// A config change waits for the build that uses the daemon instead of
// killing the daemon under it (issue 13, item 3); then it restarts it.
func TestConfigChangeWaitsForBuilds(t *testing.T) {
	t.Parallel()
	fresh := freshDaemonEnv(t)
	home := strings.TrimPrefix(fresh[0], "STAGEBUILD_HOME=")
	dir := slowPipeline(t)
	a := startBuild(t, dir, fresh, "[app 1/1] RUN", "build", "--progress", "plain", "--build-arg", "SLEEP=15", "-o", "type=oci,dest=a.tar")
	pid := privatePID(t, home)
	appendFile(t, filepath.Join(home, "buildkitd.toml"), "\n# changed by "+t.Name()+"\n")
	r := stagebuildEnv(t, dir, fresh, "build", "--progress", "plain", "-o", "type=oci,dest=b.tar").mustSucceed(t)
	if code := a.wait(t); code != 0 {
		t.Fatalf("the build on the old daemon failed (exit %d):\n%s", code, tail(a.output(), 20))
	}
	if !strings.Contains(r.stderr, "waiting for the builds using the local buildkitd to finish") ||
		!strings.Contains(r.stderr, "buildkitd config changed; restarting the local daemon") {
		t.Errorf("the second build did not wait, then restart:\n%s", head(r.stderr, 10))
	}
	if again := privatePID(t, home); again == pid {
		t.Errorf("the daemon was not restarted with the new config (pid %d)", pid)
	}
	for _, f := range []string{"a.tar", "b.tar"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// 8 builds of the example at once on the one shared daemon, each with its
// own source: all succeed, each image holds its own source and no other's,
// and each gate's report is its own.
func TestParallelBuildsOneDaemon(t *testing.T) {
	t.Parallel()
	const n = 8
	type one struct {
		dir, marker string
		r           result
	}
	builds := make([]*one, n)
	for i := range builds {
		dir := copyExample(t)
		src, err := os.ReadFile(filepath.Join(dir, "app", "__init__.py"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(src)), "\n")
		builds[i] = &one{dir: dir, marker: lines[len(lines)-1]}
	}
	var wg sync.WaitGroup
	start := time.Now()
	for _, b := range builds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.r = stagebuild(t, b.dir, "build", "--target", "service", "--progress", "quiet", "-o", "type=oci,dest=out/service.tar")
		}()
	}
	wg.Wait()
	t.Logf("%d parallel builds in %s", n, time.Since(start).Round(time.Second))
	held := 0
	for i, b := range builds {
		if b.r.code != 0 {
			t.Errorf("build %d: exit %d\n%s", i, b.r.code, tail(b.r.stderr, 20))
			continue
		}
		img := readOCIImage(t, filepath.Join(b.dir, "out", "service.tar"))
		if !img.layersContain([]byte(b.marker)) {
			t.Errorf("build %d: its image lacks its own source (%s)", i, b.marker)
			continue
		}
		ok := true
		for j, o := range builds {
			if j != i && img.layersContain([]byte(o.marker)) {
				t.Errorf("build %d: its image holds build %d's source", i, j)
				ok = false
			}
		}
		rep, err := os.ReadFile(filepath.Join(b.dir, "stagebuild-reports", "tests", "junit.xml"))
		if err != nil || !strings.Contains(string(rep), "<testsuite") || strings.Contains(string(rep), "<failure") {
			t.Errorf("build %d: report %v\n%s", i, err, rep)
			ok = false
		}
		if ok {
			held++
		}
	}
	t.Logf("%d of %d parallel builds correct", held, n)
}
