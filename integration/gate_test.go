package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/testenv"
)

const failingTest = `
def test_deliberately_broken():
    assert 1 + 1 == 3, "stagebuild-deliberate-failure"
`

// A failing test stops every export of the service, and localdev still builds.
func TestFailingGateExportsNothing(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	writeFile(t, filepath.Join(dir, "tests", "test_broken.py"), failingTest)

	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "plain", "-o", "type=oci,dest=out/service.tar")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (gate failed)\n%s", r.code, tail(r.stderr, 40))
	}
	for _, want := range []string{"stagebuild: gate tests FAILED", "8 passed, 1 failed, 0 errors, 0 skipped",
		"test_deliberately_broken tests/test_broken.py:3: AssertionError: stagebuild-deliberate-failure",
		`stagebuild: gate "tests" failed: pytest -q -p no:cacheprovider --junitxml=/reports/junit.xml tests exited with code 1 (1 failed, 0 errors, 8 passed); nothing was exported for service`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("output lacks %q\n%s", want, tail(r.stderr, 30))
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "out"))
	if len(entries) != 0 {
		t.Errorf("out/ holds %d entries after a failed gate", len(entries))
	}
	// The report of the failing run is on the host.
	reportPath := filepath.Join(dir, "stagebuild-reports", "tests", "junit.xml")
	first, err := os.ReadFile(reportPath)
	if err != nil || !strings.Contains(string(first), "test_deliberately_broken") {
		t.Fatalf("report after a failing run: %v\n%s", err, first)
	}

	// The verdict is cached with its inputs: the same failure and the same
	// report come back, and quiet progress still shows why.
	r = stagebuild(t, dir, "build", "--target", "service", "--progress", "quiet", "-o", "type=oci,dest=out/service.tar")
	if r.code != 3 || !strings.Contains(r.stderr, "stagebuild-deliberate-failure") {
		t.Errorf("quiet: exit %d, output:\n%s", r.code, r.stderr)
	}
	if again, _ := os.ReadFile(reportPath); string(again) != string(first) {
		t.Errorf("the cached failing run gave a different report")
	}

	repo := "stagebuild-it/gated-" + randomID()
	r = stagebuild(t, dir, "build", "--target", "service", "--progress", "quiet", "-t", env.RegistryAddr+"/"+repo+":1", "--push")
	if r.code != 3 {
		t.Errorf("push: exit %d, want 3", r.code)
	}
	tags, err := testenv.ListTags(t.Context(), repo)
	if err != nil || len(tags) != 0 {
		t.Errorf("registry has tags %q after a failed gate (err %v)", tags, err)
	}

	stagebuild(t, dir, "build", "--target", "localdev", "--progress", "quiet", "-o", "type=oci,dest=out/localdev.tar").mustSucceed(t)
	if _, err := os.Stat(filepath.Join(dir, "out", "localdev.tar")); err != nil {
		t.Errorf("localdev was not written: %v", err)
	}
}

// A failure outside the test command (a broken install) is a build error,
// not a gate failure.
func TestBrokenInstallIsBuildError(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	writeFile(t, filepath.Join(dir, "test_requirements.txt"), "pytest==8.3.3\nthis-package-does-not-exist-stagebuild==0.0.1\n")
	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "plain", "-o", "type=oci,dest=svc.tar")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, tail(r.stderr, 30))
	}
	if !strings.Contains(r.stderr, "this-package-does-not-exist-stagebuild") {
		t.Errorf("pip's error is not shown:\n%s", tail(r.stderr, 30))
	}
	if _, err := os.Stat(filepath.Join(dir, "svc.tar")); !os.IsNotExist(err) {
		t.Errorf("svc.tar exists after a failed build: %v", err)
	}
}

// The gate and the service image are solved at the same time: the service's
// own step starts before pytest has finished.
func TestGateRunsBesideServiceBuild(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	writeFile(t, filepath.Join(dir, "tests", "test_slow.py"), "import time\n\ndef test_slow():\n    time.sleep(4)\n")
	appendFile(t, filepath.Join(dir, "docker-entrypoint.sh"), "# "+randomID()+"\n")
	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "rawjson", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	vs := parseRawJSON(t, r.stderr)
	pytest := find(t, vs, "[tests 1/1] TEST pytest")
	copyEntry := find(t, vs, "[service 1/1] COPY docker-entrypoint.sh")
	if pytest.Cached || copyEntry.Cached {
		t.Fatalf("expected fresh steps, got cached pytest=%v copy=%v", pytest.Cached, copyEntry.Cached)
	}
	if pytest.Started == nil || pytest.Completed == nil || copyEntry.Started == nil {
		t.Fatal("missing timestamps")
	}
	if !copyEntry.Started.Before(*pytest.Completed) {
		t.Errorf("service COPY started %s, after pytest completed %s: not concurrent",
			copyEntry.Started.Format("15:04:05.000"), pytest.Completed.Format("15:04:05.000"))
	}
	t.Logf("pytest %s–%s; service COPY started %s", pytest.Started.Format("05.000"),
		pytest.Completed.Format("05.000"), copyEntry.Started.Format("05.000"))
}

// After a source-only edit the installs are cache hits and pip does not run.
func TestSourceEditKeepsInstallsCached(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	ownInstalls(t, dir)
	stagebuild(t, dir, "build", "--target", "service", "--progress", "quiet").mustSucceed(t)
	appendFile(t, filepath.Join(dir, "app", "__init__.py"), "\n# edited "+randomID()+"\n")
	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "rawjson").mustSucceed(t)
	vs := parseRawJSON(t, r.stderr)
	for _, name := range []string{"[deps 2/3] RUN python -m venv", "[deps 3/3] RUN SOURCE_DATE_EPOCH=315532800 pip install", "[test_deps 2/2] RUN SOURCE_DATE_EPOCH=315532800 pip install"} {
		v := find(t, vs, name)
		if !v.Cached || v.Logs != 0 {
			t.Errorf("%s: cached=%v, %d log chunks (pip ran again)", v.Name, v.Cached, v.Logs)
		}
	}
	for _, name := range []string{"[builder 1/1] COPY app", "[tests_builder 1/2] COPY app", "[tests 1/1] TEST pytest"} {
		if v := find(t, vs, name); v.Cached {
			t.Errorf("%s was cached although app/ changed", v.Name)
		}
	}
}

// A gate that fails for an infrastructure reason (here a TLS verification
// failure in its output) is not recorded as a verdict: the build fails with
// the reason, exports nothing, and the next build runs the test again
// instead of replaying a cached failure (issue 13, item 11).
func TestInfraFailureIsNotAVerdict(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tlsLine := "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain"
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
default: image
stages:
  image: {from: busybox:latest, gated_by: [tests]}
  tests:
    from: busybox:latest
    test: |
      echo "nonce-$(cat /proc/sys/kernel/random/uuid)"
      echo "`+tlsLine+`"
      exit 1
`)
	want := "stagebuild: gate \"tests\": its test failed for an infrastructure reason, which is not a verdict and was not cached (the next build runs it again): " +
		tlsLine + "\n" + build.TLSHint + "\n"
	var nonces []string
	for run := 1; run <= 2; run++ {
		r := stagebuild(t, dir, "build", "--progress", "plain", "-o", "type=oci,dest=out/image.tar")
		if r.code != 1 {
			t.Fatalf("run %d: exit %d, want 1 (a build error, not a gate verdict)\n%s", run, r.code, tail(r.stderr, 30))
		}
		if !strings.HasSuffix(r.stderr, want) {
			t.Errorf("run %d: stderr ends\n%s\nwant it to end\n%s", run, tail(r.stderr, 3), want)
		}
		m := regexp.MustCompile(`nonce-[0-9a-f-]{36}`).FindAllString(r.stderr, -1)
		if len(m) == 0 {
			t.Fatalf("run %d: the test did not run (a cached verdict?)\n%s", run, tail(r.stderr, 30))
		}
		nonces = append(nonces, m[0])
		if _, err := os.Stat(filepath.Join(dir, "out", "image.tar")); !os.IsNotExist(err) {
			t.Errorf("run %d: out/image.tar written (%v)", run, err)
		}
	}
	if nonces[0] == nonces[1] {
		t.Errorf("the second build replayed the first one's output %s", nonces[0])
	}
}
