package build

import (
	"archive/tar"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A hostile tar (issue 13, item 4): no entry, symlink or hardlink writes
// outside the output directory, whatever the order of the entries.
func TestExtractTarHostile(t *testing.T) {
	outer := t.TempDir()
	mkfile(t, filepath.Join(outer, "secret"), "outside")
	cases := map[string][]tar.Header{
		"symlink to an absolute dir, then a file through it": {
			{Name: "a", Typeflag: tar.TypeSymlink, Linkname: outer},
			{Name: "a/pwned", Typeflag: tar.TypeReg, Mode: 0o644}},
		"symlink up, then a file through it": {
			{Name: "b", Typeflag: tar.TypeSymlink, Linkname: "../.."},
			{Name: "b/pwned", Typeflag: tar.TypeReg, Mode: 0o644}},
		"symlink to the secret, then a file over the link": {
			{Name: "c", Typeflag: tar.TypeSymlink, Linkname: filepath.Join(outer, "secret")},
			{Name: "c", Typeflag: tar.TypeReg, Mode: 0o644}},
		"hardlink up": {
			{Name: "d", Typeflag: tar.TypeLink, Linkname: "../../secret"}},
		"hardlink through a symlink": {
			{Name: "e", Typeflag: tar.TypeSymlink, Linkname: outer},
			{Name: "f", Typeflag: tar.TypeLink, Linkname: "e/secret"}},
		"hardlink to a symlink to the secret": {
			{Name: "g", Typeflag: tar.TypeSymlink, Linkname: filepath.Join(outer, "secret")},
			{Name: "h", Typeflag: tar.TypeLink, Linkname: "g"}},
		"dir through a symlink": {
			{Name: "i", Typeflag: tar.TypeSymlink, Linkname: outer},
			{Name: "i/sub/", Typeflag: tar.TypeDir, Mode: 0o755}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			_ = extractTar(tarOf(t, entries, map[string]string{"a/pwned": "x", "b/pwned": "x"}), dir)
			got, err := os.ReadFile(filepath.Join(outer, "secret"))
			if err != nil || string(got) != "outside" {
				t.Errorf("the secret outside is %q (%v)", got, err)
			}
			des, _ := os.ReadDir(outer)
			if len(des) != 1 {
				t.Errorf("entries outside the output: %v", des)
			}
			var st syscall.Stat_t
			if syscall.Stat(filepath.Join(outer, "secret"), &st) == nil && st.Nlink != 1 {
				t.Errorf("the secret outside got %d links", st.Nlink)
			}
		})
	}
}

// setuid and setgid bits are dropped; the sticky bit is kept.
func TestExtractTarDropsSetuid(t *testing.T) {
	dir := t.TempDir()
	buf := tarOf(t, []tar.Header{
		{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o2755},
		{Name: "bin/su", Typeflag: tar.TypeReg, Mode: 0o4755},
		{Name: "bin/sg", Typeflag: tar.TypeReg, Mode: 0o2711},
		{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777},
	}, nil)
	if err := extractTar(buf, dir); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{"bin": os.ModeDir | 0o755, "bin/su": 0o755, "bin/sg": 0o711, "tmp": os.ModeDir | os.ModeSticky | 0o777} {
		fi, err := os.Lstat(filepath.Join(dir, p))
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", p, fi.Mode(), err, want)
		}
	}
}

// A read-only directory is filled first and closed after, as a user who is
// not root (root writes into a 0555 directory anyway, so the test re-runs
// itself as nobody).
func TestExtractTarReadOnlyDir(t *testing.T) {
	if dir := os.Getenv("STAGEBUILD_UNTAR_HELPER"); dir != "" {
		epoch := time.Unix(1700000000, 0)
		buf := tarOf(t, []tar.Header{
			{Name: "ro/", Typeflag: tar.TypeDir, Mode: 0o555, ModTime: epoch},
			{Name: "ro/sub/", Typeflag: tar.TypeDir, Mode: 0o500, ModTime: epoch},
			{Name: "ro/sub/f", Typeflag: tar.TypeReg, Mode: 0o444, ModTime: epoch},
			{Name: "ro/g", Typeflag: tar.TypeReg, Mode: 0o400, ModTime: epoch},
		}, map[string]string{"ro/sub/f": "f", "ro/g": "g"})
		if err := extractTar(buf, filepath.Join(dir, "out")); err != nil {
			t.Fatal(err)
		}
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("runs as root, to re-run itself as nobody")
	}
	// The test binary and a work dir that nobody can reach.
	work, err := os.MkdirTemp("", "stagebuild-untar-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o777); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	bin := filepath.Join(work, "build.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", "^TestExtractTarReadOnlyDir$", "-test.count=1")
	cmd.Dir = work
	cmd.Env = []string{"STAGEBUILD_UNTAR_HELPER=" + work, "HOME=" + work}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	for p, want := range map[string]os.FileMode{"ro": os.ModeDir | 0o555, "ro/sub": os.ModeDir | 0o500, "ro/sub/f": 0o444, "ro/g": 0o400} {
		fi, err := os.Lstat(filepath.Join(work, "out", p))
		if err != nil || fi.Mode() != want || !fi.ModTime().Equal(time.Unix(1700000000, 0)) {
			t.Errorf("%s: %v %v (%v), want %v at the epoch", p, fi.Mode(), fi.ModTime(), err, want)
		}
	}
}

// An existing destination is written over, as BuildKit's local exporter
// does: nested entries the export does not name are kept, files and
// symlinks it names are replaced (a symlink is never followed), and a
// directory where the export has a file is refused, not removed.
func TestCommitLocalWritesOverDest(t *testing.T) {
	parent := t.TempDir()
	outer := t.TempDir()
	mkfile(t, filepath.Join(outer, "keep"), "outside")
	dest := filepath.Join(parent, "out")
	mkfile(t, filepath.Join(dest, "app", "keep.txt"), "mine")
	mkfile(t, filepath.Join(dest, "app", "main.py"), "old")
	if err := os.Symlink(outer, filepath.Join(dest, "linked")); err != nil {
		t.Fatal(err)
	}
	commit := func(entries []tar.Header, bodies map[string]string) error {
		tmp, err := os.MkdirTemp(parent, ".out.stagebuild-")
		if err != nil {
			t.Fatal(err)
		}
		tarball := filepath.Join(parent, ".out.tar")
		if err := os.WriteFile(tarball, tarOf(t, entries, bodies).Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return (&pending{dest: dest, tmp: tmp, tarball: tarball, dir: true}).commit(context.Background(), nil)
	}
	err := commit([]tar.Header{
		{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "app/main.py", Typeflag: tar.TypeReg, Mode: 0o644},
		{Name: "linked/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "linked/x", Typeflag: tar.TypeReg, Mode: 0o644},
	}, map[string]string{"app/main.py": "new", "linked/x": "x"})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"app/keep.txt": "mine", "app/main.py": "new", "linked/x": "x"} {
		if b, err := os.ReadFile(filepath.Join(dest, p)); err != nil || string(b) != want {
			t.Errorf("%s = %q (%v), want %q", p, b, err, want)
		}
	}
	if fi, err := os.Lstat(filepath.Join(dest, "linked")); err != nil || !fi.IsDir() {
		t.Errorf("linked is not the export's directory: %v %v", fi, err)
	}
	if des, _ := os.ReadDir(outer); len(des) != 1 {
		t.Errorf("the symlink of dest was followed: %v", des)
	}
	err = commit([]tar.Header{{Name: "app", Typeflag: tar.TypeReg, Mode: 0o644}}, nil)
	want := "output " + dest + ": out/app is a directory and the export has a file there (remove it first; stagebuild does not delete directories it did not write)"
	if err == nil || err.Error() != want {
		t.Errorf("file over a directory: %v, want %s", err, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "app", "keep.txt")); string(b) != "mine" {
		t.Errorf("app/keep.txt lost")
	}
}
