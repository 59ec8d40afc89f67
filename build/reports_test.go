package build

import (
	"os"
	"path/filepath"
	"testing"
)

func mkfile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("%s is gone: %v", path, err)
	}
}

// Issue 13, item 2: a reports directory that is the context, contains it,
// is reached through a link, or whose gate entry stagebuild did not write is
// refused with one line naming the fix; nothing is touched.
func TestCheckReportsDir(t *testing.T) {
	proj := t.TempDir()
	t.Chdir(proj)
	mkfile(t, "tests/test_app.py", "def test(): pass\n")
	other := t.TempDir()
	mkfile(t, filepath.Join(other, "tests", "keep.txt"), "not stagebuild's")
	if err := os.Symlink(other, "linked"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, "via"); err != nil {
		t.Fatal(err)
	}
	mkfile(t, "old/tests/"+ReportsMarker, "")
	mkfile(t, "plain/tests/junit.xml", "<testsuite/>")
	mkfile(t, "file", "")
	if err := os.MkdirAll("gl", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "tests"), "gl/tests"); err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { return filepath.Join(proj, p) }
	gates := []string{"tests"}
	tests := []struct{ dir, ctx, want string }{
		{".", ".", "--reports .: is the build context or contains it, so gate reports would replace the project's own directories (name a directory of its own, such as stagebuild-reports)"},
		{"..", ".", "--reports ..: is the build context or contains it, so gate reports would replace the project's own directories (name a directory of its own, such as stagebuild-reports)"},
		{proj, "sub", "--reports " + proj + ": is the build context or contains it, so gate reports would replace the project's own directories (name a directory of its own, such as stagebuild-reports)"},
		{"linked", ".", "--reports linked: " + abs("linked") + " is a symbolic link; stagebuild writes reports only into real directories, never through a link (name the link's target, or remove the link)"},
		{"via/r", ".", "--reports via/r: " + abs("via") + " is a symbolic link; stagebuild writes reports only into real directories, never through a link (name the link's target, or remove the link)"},
		{abs("linked"), ".", "--reports " + abs("linked") + ": " + abs("linked") + " is a symbolic link; stagebuild writes reports only into real directories, never through a link (name the link's target, or remove the link)"},
		{"plain", ".", "--reports plain: " + abs("plain/tests") + " exists but was not written by stagebuild (it has no .stagebuild-reports marker); stagebuild replaces only its own reports (move it away, or name another --reports)"},
		{"gl", ".", "--reports gl: " + abs("gl/tests") + " is a symbolic link; stagebuild writes reports only into real directories (remove the link)"},
		{"file", ".", "--reports file: is not a directory"},
	}
	for _, tc := range tests {
		err := CheckReportsDir(tc.dir, tc.ctx, gates)
		if err == nil || err.Error() != tc.want {
			t.Errorf("CheckReportsDir(%q, %q):\ngot:  %v\nwant: %s", tc.dir, tc.ctx, err, tc.want)
		}
	}
	for _, ok := range []string{"stagebuild-reports", "old", "plain/sub", abs("new/r")} {
		if err := CheckReportsDir(ok, ".", gates); err != nil {
			t.Errorf("CheckReportsDir(%q) = %v, want nil", ok, err)
		}
	}
	mustExist(t, "tests/test_app.py")
	mustExist(t, filepath.Join(other, "tests", "keep.txt"))
}

// replaceGateDir replaces only a marked directory, and removes no file
// through a link.
func TestReplaceGateDir(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	mkfile(t, filepath.Join(other, "keep.txt"), "x")
	mkfile(t, filepath.Join(dir, "marked", ReportsMarker), "")
	mkfile(t, filepath.Join(dir, "marked", "stale.xml"), "")
	mkfile(t, filepath.Join(dir, "unmarked", "src.py"), "")
	if err := os.Symlink(other, filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	fresh := func(name string) string {
		mkfile(t, filepath.Join(dir, name, "junit.xml"), "new")
		return name
	}
	if err := replaceGateDir(root, fresh(".t1"), "marked"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "marked", "stale.xml")); !os.IsNotExist(err) {
		t.Errorf("the earlier run's file survived: %v", err)
	}
	mustExist(t, filepath.Join(dir, "marked", "junit.xml"))
	if err := replaceGateDir(root, fresh(".t2"), "new"); err != nil {
		t.Fatal(err)
	}
	for gate, want := range map[string]string{
		"unmarked": "unmarked was not written by stagebuild (no .stagebuild-reports marker); nothing was replaced",
		"linked":   "linked is not a directory stagebuild wrote; nothing was replaced",
	} {
		if err := replaceGateDir(root, fresh(".t-"+gate), gate); err == nil || err.Error() != want {
			t.Errorf("replaceGateDir(%s) = %v, want %s", gate, err, want)
		}
	}
	mustExist(t, filepath.Join(dir, "unmarked", "src.py"))
	mustExist(t, filepath.Join(other, "keep.txt"))
}

// In a multi-platform build each platform's reports get a directory of
// their own; a single-platform build keeps the gate's name.
func TestReportsNamePerPlatform(t *testing.T) {
	for _, c := range []struct {
		g    GateResult
		want string
	}{
		{GateResult{Gate: "tests"}, "tests"},
		{GateResult{Gate: "tests", Platform: "linux/arm64"}, "tests-linux_arm64"},
		{GateResult{Gate: "tests", Platform: "linux/arm/v7"}, "tests-linux_arm_v7"},
	} {
		if got := reportsName(&c.g); got != c.want {
			t.Errorf("reportsName(%s) = %q, want %q", c.g.Name(), got, c.want)
		}
	}
}
