package integration

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagebuild/stagebuild/testenv"
)

// A buildkitd in a network namespace of its own, as a docker-container://
// or kube-pod:// daemon is to the client: its services and smoke
// containers are on the namespace's loopback, which the client cannot
// dial. Its state (StateDir()/nsd) is kept between runs, apart from the
// local daemon's; it is started once, by the first test that needs it,
// and stopped when the tests end.
var ns struct {
	once sync.Once
	d    *testenv.NSDaemon
	err  error
}

func nsDaemon(t *testing.T) *testenv.NSDaemon {
	t.Helper()
	ns.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		ns.d, ns.err = testenv.StartNSDaemon(ctx, env, filepath.Join(env.StateDir, "nsd"))
	})
	if ns.err != nil {
		t.Fatalf("namespaced buildkitd: %v", ns.err)
	}
	return ns.d
}

func stopNSDaemon() {
	if ns.d != nil {
		ns.d.Stop()
	}
}

// nsBuild runs stagebuild against the namespaced daemon.
func nsBuild(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return stagebuildEnv(t, dir, nsDaemon(t).Env, args...)
}

// assertNSClosed checks that none of the build's services (known by the
// ports its progress names) still listens in the daemon's namespace, nor
// on the client's loopback.
func assertNSClosed(t *testing.T, out string) {
	t.Helper()
	ports := portsOf(out)
	if len(ports) == 0 {
		t.Fatalf("no service ports in the output:\n%s", tail(out, 30))
	}
	for _, p := range ports {
		n, _ := strconv.Atoi(p)
		if nsDaemon(t).Accepts(n) {
			t.Errorf("port %s still accepts connections in the daemon's namespace after the build", p)
		}
		assertGone(t, "port="+p+" ")
	}
}

// The example on a daemon in another network namespace: its gates pass,
// the smoke check reaches the service where it runs, the image holds no
// probe; a failing gate exits 3 and exports nothing.
func TestNSExample(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	r := nsBuild(t, dir, "build", "--target", "service", "--progress", "plain", "-o", "type=oci,dest=out/service.tar").mustSucceed(t)
	for _, want := range []string{"stagebuild: gate tests passed in", "service built (gates passed:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(r.stderr, 30))
		}
	}
	if strings.Contains(r.stderr, "smoke") && strings.Contains(r.stderr, "not ready") {
		t.Errorf("the smoke check failed:\n%s", tail(r.stderr, 30))
	}
	img := readImage(t, filepath.Join(dir, "out", "service.tar"))
	for f := range img.Files {
		if strings.Contains(f, "stagebuild-probe") {
			t.Errorf("the service image holds %s", f)
		}
	}

	writeFile(t, filepath.Join(dir, "tests", "test_broken.py"), failingTest)
	os.RemoveAll(filepath.Join(dir, "out"))
	r = nsBuild(t, dir, "build", "--target", "service", "--progress", "plain", "-o", "type=oci,dest=out/service.tar")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (gate failed)\n%s", r.code, tail(r.stderr, 40))
	}
	want := `stagebuild: gate "tests" failed: pytest -q -p no:cacheprovider --junitxml=/reports/junit.xml tests exited with code 1 (1 failed, 0 errors, 8 passed); nothing was exported for service`
	if !strings.Contains(r.stderr, want) {
		t.Errorf("output lacks %q\n%s", want, tail(r.stderr, 30))
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "out")); len(entries) != 0 {
		t.Errorf("out/ holds %d entries after a failed gate", len(entries))
	}
}

// notes-pg on the namespaced daemon: both gates pass against Postgres and
// the api service; then stagebuild debug opens the failing gate with its
// services up. Nothing outlives either build.
func TestNSNotesPG(t *testing.T) {
	t.Parallel()
	dir := copyNotesPG(t)
	r := nsBuild(t, dir, "build", "--progress", "plain", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	for _, want := range []string{
		"stagebuild: gate integrated passed in", "stagebuild: gate external passed in",
		"service built (gates passed: integrated, external)",
		"[service db for ", "[service api for external]", "database system is ready to accept connections",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(r.stderr, 30))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "svc.tar")); err != nil {
		t.Errorf("the service image was not exported: %v", err)
	}
	if ports := portsOf(r.stderr); len(ports) != 2 {
		t.Errorf("want one db and one api port, got %v", ports)
	}
	assertNSClosed(t, r.stderr)

	test := filepath.Join(dir, "tests", "integrated", "test_repository.py")
	appendFile(t, test, "\n\ndef test_deliberately_broken():\n    assert False, \"stagebuild-deliberate-failure\"\n")
	script := `python -c "import os, psycopg; print('connected:', psycopg.connect(os.environ['DATABASE_URL']).execute('select 41 + 1').fetchone()[0])"; exit 5`
	r = nsBuild(t, dir, "debug", "--target", "service", "--", "sh", "-c", script)
	if r.code != 5 || !strings.Contains(r.stdout, "connected: 42\n") {
		t.Fatalf("debug: exit %d, want 5 and a connection\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, tail(r.stderr, 30))
	}
	if !strings.Contains(r.stderr, "stagebuild-deliberate-failure") {
		t.Errorf("debug does not show the failed gate:\n%s", tail(r.stderr, 30))
	}
	assertNSClosed(t, r.stderr)
}

// Two builds at once on the namespaced daemon, each with a web service
// and an HTTP readiness check: both pass, on different ports.
func TestNSParallelBuilds(t *testing.T) {
	t.Parallel()
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "stagebuild.yaml"), webPipeline("stagebuild-ns-"+randomID(), "", `unset http_proxy; wget -qO- "$URL" | grep -x hello`))
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = nsBuild(t, dir, "build", "--progress", "plain")
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i, r := range results {
		r.mustSucceed(t)
		if !strings.Contains(r.stderr, "gate tests passed") {
			t.Errorf("build %d: the gate did not pass:\n%s", i, tail(r.stderr, 20))
		}
		for _, p := range portsOf(r.stderr) {
			if j, dup := seen[p]; dup {
				t.Errorf("builds %d and %d both got port %s", j, i, p)
			}
			seen[p] = i
		}
		assertNSClosed(t, r.stderr)
	}
	if len(seen) != 2 {
		t.Errorf("ports %v, want one per build", seen)
	}
}

// A url: copy on the namespaced daemon: the daemon itself fetches it, from
// PyPI, through the namespace's proxy (HTTPS_PROXY in its environment, which
// BuildKit's http source reads), and the file passes its checksum.
func TestNSFetch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
stages:
  app:
    from: busybox:latest
    copy:
      - url: https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl
        checksum: sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254
        to: /opt/
`)
	// --no-cache: the daemon's state outlives runs, and a cached fetch
	// would prove nothing.
	nsBuild(t, dir, "build", "--target", "app", "--no-cache", "--progress", "plain", "-o", "type=local,dest=out").mustSucceed(t)
	if info, err := os.Stat(filepath.Join(dir, "out", "opt", "six-1.16.0-py2.py3-none-any.whl")); err != nil || info.Size() < 10000 {
		t.Errorf("the fetched wheel: %v, %v", info, err)
	}
}
