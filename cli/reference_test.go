package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// referenceDir is the checked-in command reference, relative to this package.
const referenceDir = "../docs/reference"

// docs/reference is generated from the command tree; regenerating it into a
// temporary directory must give exactly the checked-in files.
func TestReferenceUpToDate(t *testing.T) {
	tmp := t.TempDir()
	if err := WriteReference(tmp); err != nil {
		t.Fatal(err)
	}
	want := mdFiles(t, tmp)
	got := mdFiles(t, referenceDir)
	const fix = "docs/reference is stale: run `make docs` and commit the result"
	for _, name := range want {
		if !slices.Contains(got, name) {
			t.Errorf("%s: docs/reference/%s is missing", fix, name)
			continue
		}
		a, _ := os.ReadFile(filepath.Join(tmp, name))
		b, _ := os.ReadFile(filepath.Join(referenceDir, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: docs/reference/%s differs from the command tree (first difference at line %d)", fix, name, firstDiffLine(a, b))
		}
	}
	for _, name := range got {
		if !slices.Contains(want, name) {
			t.Errorf("%s: docs/reference/%s documents no command", fix, name)
		}
	}
}

// Every reference page ends with the exit codes from ExitCodes, and
// `stagebuild --help` shows the same codes.
func TestExitCodesRendered(t *testing.T) {
	files, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	page := string(files["stagebuild_build.md"])
	var help bytes.Buffer
	if code := Main([]string{"--help"}, Streams{Out: &help, Err: &help}); code != ExitOK {
		t.Fatalf("--help exited %d: %s", code, help.String())
	}
	for _, e := range ExitCodes() {
		row := fmt.Sprintf("| %d | %s |\n", e.Code, e.Meaning)
		if !strings.Contains(page, row) {
			t.Errorf("stagebuild_build.md lacks the row %q", row)
		}
		first := strings.Fields(e.Meaning)[0]
		if !strings.Contains(help.String(), fmt.Sprintf("  %-5d%s", e.Code, first)) {
			t.Errorf("stagebuild --help lacks exit code %d (%s):\n%s", e.Code, first, help.String())
		}
	}
}

func mdFiles(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	return names
}

func firstDiffLine(a, b []byte) int {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}
