package integration

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An image built from a gate is guarded by it (issue 13, item 1): with the
// gate failing, nothing is written and the gate's failure is the error.
func TestImageFromGateIsGuarded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
stages:
  tests:   {from: busybox:latest, test: "echo `+randomID()+`; false"}
  mid:     {from: tests}
  release: {from: mid}
`)
	r := stagebuild(t, dir, "build", "--target", "release", "--progress", "quiet", "-o", "type=oci,dest=r.tar")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (gate failed)\n%s", r.code, tail(r.stderr, 20))
	}
	if !strings.Contains(r.stderr, `gate "tests" failed`) || !strings.Contains(r.stderr, "nothing was exported for release") {
		t.Errorf("stderr lacks the gate failure:\n%s", tail(r.stderr, 20))
	}
	if _, err := os.Stat(filepath.Join(dir, "r.tar")); !os.IsNotExist(err) {
		t.Errorf("r.tar written though its gate failed (stat: %v)", err)
	}
}

// A passing gate whose reports hold a Cobertura coverage.xml beside its
// junit.xml exits 0 and copies both (item 5); a second run replaces the
// first run's reports, which carry stagebuild's marker (item 2).
func TestReportsWithCoverageXML(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
default: app
stages:
  tests:
    from: busybox:latest
    reports: /reports
    test: >-
      mkdir -p /reports/sub &&
      echo '<testsuite name="t" tests="1"><testcase classname="c" name="ok"/></testsuite>' > /reports/junit.xml &&
      echo '<coverage line-rate="0.9"><packages/></coverage>' > /reports/coverage.xml &&
      echo `+randomID()+` > /reports/sub/id.txt
  app: {from: busybox:latest, gated_by: [tests]}
`)
	for i := 0; i < 2; i++ {
		r := stagebuild(t, dir, "build", "--progress", "plain", "-o", "type=oci,dest=app.tar").mustSucceed(t)
		if !strings.Contains(r.stderr, "1 passed") {
			t.Errorf("run %d: the JUnit summary is missing:\n%s", i, tail(r.stderr, 10))
		}
		for _, f := range []string{"junit.xml", "coverage.xml", "sub/id.txt", ".stagebuild-reports"} {
			if _, err := os.Stat(filepath.Join(dir, "stagebuild-reports", "tests", f)); err != nil {
				t.Errorf("run %d: %v", i, err)
			}
		}
	}
}

// A failed advisory gate is reported as failed, not passed, and with the
// tar on stdout its GitHub annotations go to stderr (item 9).
func TestAdvisoryGateSummaryAndStdoutTar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
default: app
stages:
  lint:
    from: busybox:latest
    allow_failure: true
    reports: /reports
    test: >-
      echo '<testsuite name="lint"><testcase classname="app" name="E1" file="app.py" line="3"><failure message="bad `+randomID()+`"/></testcase></testsuite>' > /reports/junit.xml; false
  app: {from: busybox:latest, gated_by: [lint]}
`)
	r := stagebuild(t, dir, "build", "--progress", "quiet", "--annotations", "github", "-o", "type=tar,dest=-").mustSucceed(t)
	if !strings.Contains(r.stderr, "app built (advisory gates FAILED (not blocking): lint)") || strings.Contains(r.stderr, "gates passed: lint") {
		t.Errorf("summary:\n%s", tail(r.stderr, 10))
	}
	if !strings.Contains(r.stderr, "::error file=app.py,line=3") {
		t.Errorf("no annotation on stderr:\n%s", tail(r.stderr, 10))
	}
	if strings.Contains(r.stdout, "::error") {
		t.Errorf("an annotation went into the tar on stdout")
	}
	tr := tar.NewReader(strings.NewReader(r.stdout))
	n := 0
	for {
		_, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("stdout is not a clean tar after %d entries: %v", n, err)
		}
		n++
	}
	if n == 0 {
		t.Errorf("the tar on stdout is empty")
	}
}

// The reports a build writes into the context (./stagebuild-reports) are
// not part of the next build's context: with copy: [.], a second build of
// the same sources runs nothing again (a cache miss of issue 13, item 10's
// kind: the context changing under the build).
func TestReportsNotInNextContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "app.tar")
	writeFile(t, filepath.Join(dir, "src.txt"), randomID()+"\n")
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
default: app
stages:
  tests:
    from: busybox:latest
    copy: [.]
    reports: /reports
    test: echo '<testsuite name="t"><testcase name="ok"/></testsuite>' > /reports/junit.xml; date +%s%N > /reports/when
  app:
    from: busybox:latest
    copy: [.]
    run: cat src.txt > /copied
    gated_by: [tests]
`)
	stagebuild(t, dir, "build", "--progress", "quiet", "-o", "type=oci,dest="+out).mustSucceed(t)
	if _, err := os.Stat(filepath.Join(dir, "stagebuild-reports", "tests", "when")); err != nil {
		t.Fatal(err)
	}
	r := stagebuild(t, dir, "build", "--progress", "rawjson", "-o", "type=oci,dest="+out).mustSucceed(t)
	vs := parseRawJSON(t, r.stderr)
	// The copy of . is one layer merged into both stages: one vertex, named
	// after whichever stage reached it first.
	checked := 0
	for name, v := range vs {
		if strings.HasPrefix(name, "[layer] COPY . ") || strings.HasSuffix(name, " COPY . .") ||
			strings.HasPrefix(name, "[tests 2/2] TEST") || strings.HasPrefix(name, "[app 2/2] RUN") {
			checked++
			if !v.Cached {
				t.Errorf("%s ran again: the reports of the first build changed the context", name)
			}
		}
	}
	if checked != 4 {
		t.Errorf("checked %d of the 4 steps", checked)
	}
}
