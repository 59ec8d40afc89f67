package stagebuild_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild"
	"github.com/stagebuild/stagebuild/buildflags"
)

// --installer takes uv or pip; anything else is a usage error before the
// project is read, and nothing is written.
func TestInitInstaller(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"requirements.txt": "flask==3.0.3\n", "app.py": "print('hi')\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := stagebuild.Init(stagebuild.InitRequest{Dir: dir, Installer: "poetry"})
	var ue *buildflags.UsageError
	if want := `--installer "poetry": not an installer (use uv or pip)`; err == nil || err.Error() != want || !errors.As(err, &ue) {
		t.Fatalf("error %v, want the usage error %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "stagebuild.yaml")); !os.IsNotExist(err) {
		t.Fatalf("stagebuild.yaml written: %v", err)
	}
	for installer, want := range map[string]bool{"": true, "uv": true, "pip": false} {
		res, err := stagebuild.Init(stagebuild.InitRequest{Dir: dir, DryRun: true, Installer: installer})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(res.Files[0].Data), "/opt/uv/uv pip install"); got != want {
			t.Errorf("installer %q: installs with uv %v, want %v", installer, got, want)
		}
	}
}
