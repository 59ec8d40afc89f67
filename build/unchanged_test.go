package build_test

import (
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/stagebuild/stagebuild/internal/fakebk"
)

func inode(t *testing.T, path string) (uint64, time.Time) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino, fi.ModTime()
}

// A tar output whose image is unchanged and whose file is as stagebuild
// left it is not sent again; a new image, or a file touched since, is.
func TestUnchangedOutputIsNotRewritten(t *testing.T) {
	g := newGatedBuild(t, "service")
	dest := filepath.Join(g.dir, "out", "service.tar")
	fake := &fakebk.BuildKit{}
	if _, err := g.run(t, fake); err != nil {
		t.Fatal(err)
	}
	ino, mtime := inode(t, dest)

	res, err := g.run(t, fake)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Targets[0].Exported; !reflect.DeepEqual(got, []string{dest + " (unchanged)"}) {
		t.Errorf("exported = %q, want %s (unchanged)", got, dest)
	}
	if i, m := inode(t, dest); i != ino || !m.Equal(mtime) {
		t.Errorf("the unchanged output was rewritten")
	}
	if got := fake.Exports(); !reflect.DeepEqual(got, [][]string{{"oci"}, {"oci (already exists)"}}) {
		t.Errorf("exports = %q", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 1 {
		t.Errorf("out/ holds %d entries, want the tar alone", len(entries))
	}

	fake.Manifest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	res, err = g.run(t, fake)
	if err != nil {
		t.Fatal(err)
	}
	if i, _ := inode(t, dest); i == ino || res.Targets[0].Exported[0] != dest {
		t.Errorf("a new image did not rewrite the output: %q", res.Targets[0].Exported)
	}

	ino, _ = inode(t, dest)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(dest, later, later); err != nil {
		t.Fatal(err)
	}
	if res, err = g.run(t, fake); err != nil {
		t.Fatal(err)
	}
	if i, _ := inode(t, dest); i == ino || res.Targets[0].Exported[0] != dest {
		t.Errorf("a file touched since it was written was not rewritten: %q", res.Targets[0].Exported)
	}
}
