package integration

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// copyNotesPG copies examples/notes-pg into a fresh directory, with a
// random marker in the app so this test's gates run rather than come from
// the cache. The Postgres image and the dependencies stay shared.
func copyNotesPG(t *testing.T) string {
	t.Helper()
	dst := copyTree(t, filepath.Join(repoRoot, "examples", "notes-pg"))
	appendFile(t, filepath.Join(dst, "notes", "__init__.py"), "\n# test marker "+randomID()+"\n")
	return dst
}

// assertNoPostgres checks that none of the build's Postgres servers (known
// by their ports) still runs or listens.
func assertNoPostgres(t *testing.T, out string) {
	t.Helper()
	ports := portsOf(out)
	if len(ports) == 0 {
		t.Fatalf("no service ports in the output:\n%s", tail(out, 30))
	}
	for _, p := range ports {
		assertGone(t, "port="+p+" ")
		assertClosed(t, p)
	}
}

// The example's two gates pass against a real Postgres and the service
// image is exported; a broken integrated test fails its gate (exit 3),
// shows the failing assertion and exports nothing; and no Postgres or API
// process outlives either build.
func TestNotesPG(t *testing.T) {
	t.Parallel()
	dir := copyNotesPG(t)
	r := stagebuild(t, dir, "build", "--progress", "plain", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	for _, want := range []string{
		"stagebuild: gate integrated passed in", "stagebuild: gate external passed in",
		"4 passed, 0 failed, 0 errors, 0 skipped", "service built (gates passed: integrated, external)",
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
	assertNoPostgres(t, r.stderr)

	test := filepath.Join(dir, "tests", "integrated", "test_repository.py")
	text, _ := os.ReadFile(test)
	broken := strings.Replace(string(text), `"SELECT contents FROM notes`, `"SELECT content FROM notes`, 1)
	if broken == string(text) {
		t.Fatal("the column substitution did not apply")
	}
	writeFile(t, test, broken)
	os.Remove(filepath.Join(dir, "svc.tar"))
	r = stagebuild(t, dir, "build", "--progress", "plain", "-o", "type=oci,dest=svc.tar")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, tail(r.stderr, 30))
	}
	for _, want := range []string{
		"stagebuild: gate integrated FAILED", "3 passed, 1 failed",
		"test_create_a_note tests/integrated/test_repository.py:", `column "content" does not exist`,
		`gate "integrated" failed`, "nothing was exported for service",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(r.stderr, 30))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "svc.tar")); !os.IsNotExist(err) {
		t.Errorf("svc.tar was written although a gate failed")
	}
	if _, err := os.Stat(filepath.Join(dir, "stagebuild-reports", "integrated", "junit.xml")); err != nil {
		t.Errorf("no report of the failed gate: %v", err)
	}
	assertNoPostgres(t, r.stderr)
}

// Two builds of the example at once on the one daemon: both pass, on
// different ports.
func TestNotesPGParallelBuilds(t *testing.T) {
	t.Parallel()
	dirs := []string{copyNotesPG(t), copyNotesPG(t)}
	results := make([]result, len(dirs))
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = stagebuild(t, dir, "build", "--progress", "plain")
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i, r := range results {
		r.mustSucceed(t)
		if !strings.Contains(r.stderr, "gate integrated passed") || !strings.Contains(r.stderr, "gate external passed") {
			t.Errorf("build %d: a gate did not pass:\n%s", i, tail(r.stderr, 20))
		}
		for _, p := range portsOf(r.stderr) {
			if j, dup := seen[p]; dup {
				t.Errorf("builds %d and %d both got port %s", j, i, p)
			}
			seen[p] = i
		}
		assertNoPostgres(t, r.stderr)
	}
	if len(seen) != 4 {
		t.Errorf("ports %v, want a db and an api port per build", seen)
	}
}

// stagebuild debug after a failing gate runs its command in the gate's
// filesystem, with the test's env and its services still up, and exits with
// the command's code; with no failing gate it says so.
func TestDebugFailedGate(t *testing.T) {
	t.Parallel()
	dir := copyNotesPG(t)
	test := filepath.Join(dir, "tests", "integrated", "test_repository.py")
	appendFile(t, test, "\n\ndef test_deliberately_broken():\n    assert False, \"stagebuild-deliberate-failure\"\n")
	script := `ls /app/tests/integrated; cat /proc/self/environ | tr '\0' '\n' | grep -E '^(DATABASE_URL|PYTHONPATH)='; ` +
		`cat /run/stagebuild/services.env; ` +
		`python -c "import os, psycopg; print('connected:', psycopg.connect(os.environ['DATABASE_URL']).execute('select 41 + 1').fetchone()[0])"; exit 5`
	r := stagebuild(t, dir, "debug", "--target", "service", "--", "sh", "-c", script)
	if r.code != 5 {
		t.Fatalf("exit %d, want the command's 5\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, tail(r.stderr, 30))
	}
	for _, want := range []string{"test_repository.py\n", "DATABASE_URL=postgresql://postgres@127.0.0.1:",
		"PYTHONPATH=/app\n", "DATABASE_URL='postgresql://postgres@127.0.0.1:", "connected: 42\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "stagebuild: debug: running sh -c") || !strings.Contains(r.stderr, "stagebuild-deliberate-failure") {
		t.Errorf("stderr does not show the failed gate before the command:\n%s", tail(r.stderr, 30))
	}
	assertNoPostgres(t, r.stderr)

	// Nothing to debug in a passing build.
	web := t.TempDir()
	writeFile(t, filepath.Join(web, "stagebuild.yaml"), webPipeline("stagebuild-debug-"+randomID(), "", `wget -qO- "$URL"`))
	r = stagebuild(t, web, "debug", "--", "true")
	if r.code != 0 || !strings.Contains(r.stderr, "stagebuild: debug: no gate failed; nothing to debug") {
		t.Errorf("exit %d\n%s", r.code, tail(r.stderr, 10))
	}
}
