package cli

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/pipeline"
)

// runMain runs the whole CLI and returns the exit code, stdout and stderr.
func runMain(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// copyProject copies a sample project of testdata/init into a temp dir.
func copyProject(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "testdata", "init", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestInitOptions(t *testing.T) {
	tests := []struct {
		args    []string
		want    InitOptions
		wantErr string
	}{
		{nil, InitOptions{Dir: ".", Installer: "uv"}, ""},
		{[]string{"svc", "--force", "--dry-run", "--installer", "pip"}, InitOptions{Dir: "svc", Force: true, DryRun: true, Installer: "pip"}, ""},
		{[]string{"a", "b"}, InitOptions{}, "init takes at most one DIR argument, got 2 (a b)"},
	}
	for _, tc := range tests {
		var got *InitOptions
		var buf bytes.Buffer
		cmd := newInitCmd(Streams{Out: &buf, Err: &buf}, func(o *InitOptions) error { got = o; return nil })
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs(tc.args)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr || ExitCode(err) != ExitUsage {
				t.Errorf("%q: error %v, want %q (exit 2)", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%q: %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}

func TestInitWritesAndRefusesToOverwrite(t *testing.T) {
	dir := copyProject(t, "poetry-cli")
	code, out, errOut := runMain("init", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"detected: dependencies: poetry.lock (poetry, 2 packages); requirements.lock.txt is generated from it\n",
		"detected: entrypoint: python -m wordcount (wordcount/__main__.py)\n",
		"wrote " + filepath.Join(dir, "stagebuild.yaml") + "\n",
		"wrote " + filepath.Join(dir, "requirements.lock.txt") + " from poetry.lock (commit it; run stagebuild init --force again after changing poetry.lock)\n",
		"wrote " + filepath.Join(dir, "requirements-dev.lock.txt") + " from poetry.lock",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	p, err := pipeline.Load(filepath.Join(dir, "stagebuild.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.DefaultTarget() != "service" || p.Stage("service").GatedBy[0].Value != "tests" {
		t.Errorf("default %q, service gated by %v", p.DefaultTarget(), p.Stage("service").GatedBy)
	}
	lock, err := os.ReadFile(filepath.Join(dir, "requirements.lock.txt"))
	if err != nil || !strings.Contains(string(lock), "\nclick==8.1.7 \\\n") {
		t.Errorf("requirements.lock.txt: %v\n%s", err, lock)
	}

	// Again: refused, on one line, naming the file and the flag.
	os.WriteFile(filepath.Join(dir, "stagebuild.yaml"), []byte("# mine\n"), 0o644)
	code, _, errOut = runMain("init", dir)
	want := "stagebuild: " + filepath.Join(dir, "stagebuild.yaml") + " already exists (pass --force to overwrite it)\n"
	if code != ExitUsage || errOut != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "stagebuild.yaml")); string(data) != "# mine\n" {
		t.Errorf("stagebuild.yaml was overwritten")
	}
	if code, _, errOut = runMain("init", "--force", dir); code != ExitOK {
		t.Fatalf("--force: exit %d: %s", code, errOut)
	}
	if _, err := pipeline.Load(filepath.Join(dir, "stagebuild.yaml"), nil); err != nil {
		t.Error(err)
	}

	// A generated file of the user's is not overwritten either.
	os.Remove(filepath.Join(dir, "stagebuild.yaml"))
	code, _, errOut = runMain("init", dir)
	want = "stagebuild: " + filepath.Join(dir, "requirements.lock.txt") + " already exists (pass --force to overwrite it)\n"
	if code != ExitUsage || errOut != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
}

func TestInitDryRun(t *testing.T) {
	dir := copyProject(t, "flask-requirements")
	code, out, errOut := runMain("init", "--dry-run", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := pipeline.Parse("stdout", []byte(out), nil); err != nil {
		t.Errorf("stdout is not a pipeline: %v\n%s", err, out)
	}
	// The header says what the layout is, in the user's words.
	layout := "# deps → test_deps → builder/tests_builder → tests/localdev/service: service deps\n" +
		"# and test deps in separate layers, tests gating the service image, and a\n" +
		"# localdev image with the test deps for IDEs.\n"
	if !strings.Contains(out, layout) {
		t.Errorf("stdout lacks the layout comment %q:\n%s", layout, out)
	}
	if !strings.HasPrefix(errOut, "detected: dependencies: requirements.txt (pip, 2 packages)\n") ||
		!strings.Contains(errOut, "\nguessed: entrypoint: gunicorn serving notes:create_app() on port 8000") {
		t.Errorf("findings belong on stderr:\n%s", errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "stagebuild.yaml")); !os.IsNotExist(err) {
		t.Errorf("--dry-run wrote stagebuild.yaml (%v)", err)
	}
}

func TestInitUsageErrors(t *testing.T) {
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "README.md"), []byte("hi\n"), 0o644)
	unlocked := copyProject(t, "uv-src") // no uv.lock: the test writes none
	for args, want := range map[string]string{
		unlocked:                     "init " + unlocked + ": pyproject.toml declares dependencies but no lockfile pins them (run poetry lock or uv lock, or write a requirements.txt, then run stagebuild init again)",
		filepath.Join(empty, "nope"): filepath.Join(empty, "nope") + ": not a directory (give the project's root directory)",
		empty:                        "init " + empty + ": no Python code found (looked for a directory with __init__.py, src/<package>/, or top-level .py files); run stagebuild init in the project's root directory",
	} {
		code, _, errOut := runMain("init", args)
		if code != ExitUsage || errOut != "stagebuild: "+want+"\n" {
			t.Errorf("init %s: exit %d, stderr %q; want 2, %q", args, code, errOut, want)
		}
	}
}

// Shell completion: cobra's completion command, and --target completed
// from the pipeline.
func TestCompletion(t *testing.T) {
	if code, out, _ := runMain("completion", "bash"); code != ExitOK || !strings.Contains(out, "__start_stagebuild") {
		t.Errorf("completion bash: exit %d\n%s", code, head(out))
	}
	code, out, _ := runMain("__complete", "build", "../examples/python-service", "--target", "lo")
	if code != ExitOK || out != "localdev\timage\n:4\n" {
		t.Errorf("DIR: exit %d, %q", code, out)
	}
	code, out, _ = runMain("__complete", "plan", "-f", examplePipeline, "--target", "service", "--target", "t")
	if code != ExitOK || out != "test_deps\timage\ntests_builder\timage\ntests\tgate\n:4\n" {
		t.Errorf("-f: exit %d, %q", code, out)
	}
}

// In the example's directory, `__complete build --target ""` lists every
// stage, service among them.
func TestCompleteTargetInExampleDir(t *testing.T) {
	t.Chdir("../examples/python-service")
	code, out, _ := runMain("__complete", "build", "--target", "")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || !strings.Contains(out, "\nservice\timage, gated by tests, lint\n") || lines[len(lines)-1] != ":4" {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if n := len(lines) - 1; n != 9 {
		t.Errorf("%d stages, want 9:\n%s", n, out)
	}
	t.Chdir(t.TempDir())
	if code, out, _ = runMain("__complete", "build", "--target", ""); out != ":5\n" {
		t.Errorf("no pipeline: exit %d, %q", code, out)
	}
}

func head(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}
