package integration

import (
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
