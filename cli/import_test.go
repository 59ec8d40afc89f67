package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/dockerimport"
)

func TestImportOptions(t *testing.T) {
	var got *dockerimport.Options
	cmd := newImportCmd(Streams{}, func(o *dockerimport.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"svc", "-f", "svc/Dockerfile.prod", "--force", "--dry-run"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := dockerimport.Options{Dir: "svc", Dockerfile: "svc/Dockerfile.prod", Force: true, DryRun: true}
	if *got != want {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}

// import writes the pipeline and the lock-derived requirements, prints its
// notes, and then refuses to overwrite them (exit 2, one line, the flag).
func TestImportWritesOnce(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "integration", "testdata", "import", "seed001")
	for _, f := range []string{"Dockerfile", "pyproject.toml", "poetry.lock"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runMain("import", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"converted: " + filepath.Join(dir, "Dockerfile") + ":6: RUN pip install poetry: dropped",
		"wrote " + filepath.Join(dir, "stagebuild.yaml") + "\n",
		"wrote " + filepath.Join(dir, "requirements.lock.txt") + " from poetry.lock",
		"next: stagebuild build " + dir + " --target prod -o type=oci,dest=prod.tar\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, _, errOut = runMain("import", dir)
	if want := "stagebuild: " + filepath.Join(dir, "stagebuild.yaml") + " already exists (pass --force to overwrite it)\n"; code != 2 || errOut != want {
		t.Errorf("second import: exit %d, %q; want exit 2, %q", code, errOut, want)
	}
	code, _, errOut = runMain("import", filepath.Join(dir, "nope"))
	if want := "stagebuild: " + filepath.Join(dir, "nope") + ": not a directory (give the build context directory)\n"; code != 2 || errOut != want {
		t.Errorf("missing dir: exit %d, %q; want exit 2, %q", code, errOut, want)
	}
}
