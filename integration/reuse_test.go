package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// After a source edit, an OCI or docker tar that stagebuild wrote before is
// rewritten from its own blobs plus the ones the edit changed: the daemon
// sends no tarball ("sending tarball" is its progress line for one), and
// the file is byte for byte the tar the daemon sends to a fresh
// destination. A tar changed since stagebuild wrote it, even in place with
// its size and mtime put back, is sent whole again.
func TestSourceEditReusesOutputBlobs(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	env := []string{"SOURCE_DATE_EPOCH=1700000000"}
	for _, typ := range []string{"oci", "docker,name=example.test/svc:1"} {
		kind, _, _ := strings.Cut(typ, ",")
		out := filepath.Join(dir, "out-"+kind)
		build := func(dest string) result {
			t.Helper()
			return stagebuildEnv(t, dir, env, "build", "--target", "service", "--progress", "plain",
				"-o", "type="+typ+",dest="+dest)
		}
		reused := filepath.Join(out, "svc.tar")
		if r := build(reused).mustSucceed(t); !strings.Contains(r.stderr, "sending tarball") {
			t.Fatalf("%s: the first build (no earlier tar) sent no tarball:\n%s", kind, tail(r.stderr, 20))
		}

		appendFile(t, filepath.Join(dir, "app", "__init__.py"), "\n# edited for "+kind+"\n")
		if r := build(reused).mustSucceed(t); strings.Contains(r.stderr, "sending tarball") {
			t.Errorf("%s: the source edit sent the whole tarball again:\n%s", kind, tail(r.stderr, 20))
		}
		if entries, _ := os.ReadDir(out); len(entries) != 1 {
			t.Errorf("%s: %s holds %d entries after the build, want the tar alone", kind, out, len(entries))
		}
		fresh := filepath.Join(out, "..", "fresh-"+kind+".tar")
		if r := build(fresh).mustSucceed(t); !strings.Contains(r.stderr, "sending tarball") {
			t.Errorf("%s: a build to a new destination sent no tarball:\n%s", kind, tail(r.stderr, 20))
		}
		got, want := readFile(t, reused), readFile(t, fresh)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the tar rewritten from its old blobs (%d bytes) differs from the daemon's (%d bytes)", kind, len(got), len(want))
		}
		os.Remove(fresh)
	}

	// Changed since stagebuild wrote it, whether altered in place with its
	// size and mtime put back, or replaced by a copy with the same bytes and
	// mtime: not trusted, sent whole.
	reused := filepath.Join(dir, "out-oci", "svc.tar")
	before := stampOf(t, reused)
	f, err := os.OpenFile(reused, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("altered"), before.size/2); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(reused, before.mtime, before.mtime); err != nil {
		t.Fatal(err)
	}
	if got := stampOf(t, reused); got != before {
		t.Fatalf("the test could not keep size, mtime and inode: %+v, was %+v", got, before)
	}
	for i, change := range []string{"altered in place", "replaced"} {
		if change == "replaced" {
			// The same bytes and mtime on a new inode: a valid tar that is
			// not the file stagebuild wrote.
			was := stampOf(t, reused)
			if err := os.WriteFile(reused+".new", readFile(t, reused), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(reused+".new", was.mtime, was.mtime); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(reused+".new", reused); err != nil {
				t.Fatal(err)
			}
		}
		appendFile(t, filepath.Join(dir, "app", "__init__.py"), fmt.Sprintf("\n# edit %d\n", i))
		r := stagebuildEnv(t, dir, env, "build", "--target", "service", "--progress", "plain", "-o", "type=oci,dest=out-oci/svc.tar").mustSucceed(t)
		if !strings.Contains(r.stderr, "sending tarball") {
			t.Errorf("a tar %s since stagebuild wrote it was trusted:\n%s", change, tail(r.stderr, 20))
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
