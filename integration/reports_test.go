package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The example's passing build: both gates run at the same time, each leaves
// its report and summary, and the service image passes its checks.
func TestExampleGatesReportsAndChecks(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "rawjson", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	for _, want := range []string{
		"stagebuild: gate tests passed in", "8 passed, 0 failed, 0 errors, 0 skipped",
		"stagebuild: gate lint passed in", "checks of service: 8 passed",
		"service built (gates passed: tests, lint)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(r.stderr, 15))
		}
	}
	for _, f := range []string{"tests/junit.xml", "lint/ruff.xml"} {
		if _, err := os.Stat(filepath.Join(dir, "stagebuild-reports", f)); err != nil {
			t.Errorf("report %s: %v", f, err)
		}
	}
}

// Two gates of one image run in parallel: their test commands overlap.
func TestGatesRunInParallel(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "gates")
	writeFile(t, filepath.Join(dir, "marker.txt"), randomID()+"\n")
	r := stagebuild(t, dir, "build", "--progress", "rawjson").mustSucceed(t)
	vs := parseRawJSON(t, r.stderr)
	a, b := find(t, vs, "[unit 1/1] TEST"), find(t, vs, "[lint 1/1] TEST")
	if a.Cached || b.Cached || a.Started == nil || b.Started == nil || a.Completed == nil || b.Completed == nil {
		t.Fatalf("gates did not both run: unit %+v lint %+v", a, b)
	}
	if !a.Started.Before(*b.Completed) || !b.Started.Before(*a.Completed) {
		t.Errorf("gates did not overlap: unit %s–%s, lint %s–%s", a.Started, a.Completed, b.Started, b.Completed)
	}
	if !strings.Contains(r.stderr, "gate lint passed") || !strings.Contains(r.stderr, "gate unit passed") {
		t.Errorf("summary lacks a gate:\n%s", tail(r.stderr, 10))
	}
}

// An advisory gate's failure is reported and blocks nothing.
func TestAdvisoryGate(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	yaml := filepath.Join(dir, "stagebuild.yaml")
	text, _ := os.ReadFile(yaml)
	writeFile(t, yaml, strings.Replace(string(text), "    test: ruff check", "    allow_failure: true\n    test: ruff check", 1))
	writeFile(t, filepath.Join(dir, "app", "unused.py"), "import os\n")
	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "quiet", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	if !strings.Contains(r.stderr, "gate lint FAILED (advisory, not blocking)") || !strings.Contains(r.stderr, "unused.py") {
		t.Errorf("advisory failure not reported:\n%s", tail(r.stderr, 20))
	}
	if _, err := os.Stat(filepath.Join(dir, "svc.tar")); err != nil {
		t.Errorf("an advisory failure blocked the export: %v", err)
	}
}

// A flaky gate: the verdict is cached until --rerun-tests runs it again.
func TestRerunTests(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	writeFile(t, filepath.Join(dir, "tests", "test_token.py"),
		"import secrets\n\ndef test_token():\n    with open('/reports/token.txt', 'w') as f:\n        f.write(secrets.token_hex(8))\n")
	token := func(args ...string) string {
		stagebuild(t, dir, append([]string{"build", "--target", "service", "--progress", "quiet"}, args...)...).mustSucceed(t)
		b, err := os.ReadFile(filepath.Join(dir, "stagebuild-reports", "tests", "token.txt"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	first, second := token(), token()
	if first != second {
		t.Errorf("the cached verdict ran the tests again: %s then %s", first, second)
	}
	if third := token("--rerun-tests"); third == second {
		t.Errorf("--rerun-tests did not run the tests again (token %s twice)", third)
	}
}

// Purity: pytest installed into the service's own deps fails the build and
// is named.
func TestPurityCheckNamesTestPackage(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	appendFile(t, filepath.Join(dir, "requirements.txt"), "pytest==8.3.3\n")
	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "quiet", "-o", "type=oci,dest=svc.tar")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, tail(r.stderr, 30))
	}
	if !strings.Contains(r.stderr, "purity") || !strings.Contains(r.stderr, "test-only package pytest (declared in test_requirements.txt)") {
		t.Errorf("purity failure does not name pytest:\n%s", tail(r.stderr, 30))
	}
	if _, err := os.Stat(filepath.Join(dir, "svc.tar")); !os.IsNotExist(err) {
		t.Errorf("svc.tar written although purity failed")
	}
}

// The smoke test starts the real service; a typo in its module name makes
// it fail, with the container's last log lines.
func TestSmokeTestCatchesBrokenEntrypoint(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	ep := filepath.Join(dir, "docker-entrypoint.sh")
	text, _ := os.ReadFile(ep)
	broken := strings.Replace(string(text), `"app:create_app()"`, `"ap:create_app()"`, 1)
	if broken == string(text) {
		t.Fatal("entrypoint substitution did not apply")
	}
	if err := os.WriteFile(ep, []byte(broken), 0o755); err != nil {
		t.Fatal(err)
	}
	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "quiet", "-o", "type=oci,dest=svc.tar")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, tail(r.stderr, 30))
	}
	if !strings.Contains(r.stderr, "smoke") || !strings.Contains(r.stderr, "No module named 'ap'") {
		t.Errorf("smoke failure lacks the container log:\n%s", tail(r.stderr, 40))
	}
}
