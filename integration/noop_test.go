package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

type fileStamp struct {
	inode uint64
	size  int64
	mtime time.Time
}

func stampOf(t *testing.T, path string) fileStamp {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileStamp{fi.Sys().(*syscall.Stat_t).Ino, fi.Size(), fi.ModTime()}
}

// A no-op build leaves an unchanged OCI tar as it is (same inode, size and
// mtime) and says so; a source edit, or a file touched since stagebuild
// wrote it, gets it rewritten.
func TestNoOpKeepsUnchangedOutput(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	tarball := filepath.Join(dir, "out", "svc.tar")
	build := func() result {
		t.Helper()
		return stagebuild(t, dir, "build", "--target", "service", "--progress", "quiet", "-o", "type=oci,dest=out/svc.tar").mustSucceed(t)
	}
	if r := build(); strings.Contains(r.stderr, "unchanged") {
		t.Fatalf("first build says unchanged:\n%s", tail(r.stderr, 10))
	}
	first := stampOf(t, tarball)

	r := build()
	if want := "→ " + tarball + " (unchanged)"; !strings.Contains(r.stderr, want) {
		t.Errorf("no-op summary lacks %q:\n%s", want, tail(r.stderr, 10))
	}
	if got := stampOf(t, tarball); got != first {
		t.Errorf("the no-op rewrote the tar: %+v, was %+v", got, first)
	}
	if entries, _ := os.ReadDir(filepath.Dir(tarball)); len(entries) != 1 {
		t.Errorf("out/ holds %d entries after a no-op, want the tar alone", len(entries))
	}

	appendFile(t, filepath.Join(dir, "app", "__init__.py"), "\n# edited\n")
	r = build()
	edited := stampOf(t, tarball)
	if strings.Contains(r.stderr, "unchanged") || edited.inode == first.inode {
		t.Errorf("a source edit did not rewrite the tar (inode %d, was %d):\n%s", edited.inode, first.inode, tail(r.stderr, 10))
	}

	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(tarball, later, later); err != nil {
		t.Fatal(err)
	}
	r = build()
	if strings.Contains(r.stderr, "unchanged") || stampOf(t, tarball).inode == edited.inode {
		t.Errorf("a tar touched since stagebuild wrote it was not rewritten:\n%s", tail(r.stderr, 10))
	}
}

// With --load, an image already in the engine under every name is not
// sent or loaded again.
func TestNoOpLoadSkipsImageInEngine(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	image := "stagebuild-it/noop:" + randomID()
	t.Cleanup(func() { docker(t, "rmi", "-f", image) })
	load := func() result {
		t.Helper()
		return stagebuildEnv(t, dir, []string{"DOCKER_HOST=" + env.DockerHost}, "build", "--target", "service",
			"--progress", "quiet", "--load", "-t", image).mustSucceed(t)
	}
	if r := load(); !strings.Contains(r.stderr, image+" (loaded into docker)") {
		t.Fatalf("first --load:\n%s", tail(r.stderr, 10))
	}
	id, err := docker(t, "image", "inspect", "--format", "{{.Id}}", image)
	if err != nil {
		t.Fatal(id)
	}
	if r := load(); !strings.Contains(r.stderr, image+" (already in docker, unchanged)") {
		t.Errorf("second --load lacks unchanged:\n%s", tail(r.stderr, 10))
	}
	if out, err := docker(t, "rmi", image); err != nil {
		t.Fatal(out)
	}
	if r := load(); !strings.Contains(r.stderr, image+" (loaded into docker)") {
		t.Errorf("--load after docker rmi did not load:\n%s", tail(r.stderr, 10))
	}
	if again, err := docker(t, "image", "inspect", "--format", "{{.Id}}", image); err != nil || again != id {
		t.Errorf("reloaded image id %s (%v), want %s", again, err, id)
	}
}
