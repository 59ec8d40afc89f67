package build

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stagebuild/stagebuild/buildflags"
)

// The temporary files of outputs being written are removed by
// RemovePartial (a second Ctrl-C); committed and discarded ones are no
// longer tracked.
func TestRemovePartial(t *testing.T) {
	dir := t.TempDir()
	_, file, err := exportEntry(buildflags.Output{Type: "oci", Attrs: map[string]string{"dest": filepath.Join(dir, "img.tar")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, tree, err := exportEntry(buildflags.Output{Type: "local", Attrs: map[string]string{"dest": filepath.Join(dir, "out")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, gone, err := exportEntry(buildflags.Output{Type: "oci", Attrs: map[string]string{"dest": filepath.Join(dir, "other.tar")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gone.discard()
	if n := len(entries(t, dir)); n != 3 {
		t.Fatalf("%d temporary outputs, want 3: %v", n, entries(t, dir))
	}
	RemovePartial()
	if left := entries(t, dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	for _, p := range []string{file.tmp, tree.tmp, tree.tarball, gone.tmp} {
		if inFlight.paths[p] {
			t.Errorf("%s still tracked", p)
		}
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
