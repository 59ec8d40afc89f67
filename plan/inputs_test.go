package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

const inputsPipeline = `version: 1
args:
  GREETING: hello
stages:
  base:
    from: busybox:latest
    workdir: /src
    env: {G: "${GREETING}"}
    copy: [req.txt]
    run:
      - echo $G
      - cat req.txt
  app:
    from: base
    copy: [app, conf/settings.ini]
    run: ls
`

// inputsContext writes a context and its pipeline into a temp dir.
func inputsContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"req.txt": "flask\n", "app/a.py": "A\n", "app/sub/b.py": "B\n", "conf/settings.ini": "x=1\n",
		"README.md": "docs\n", "app/__pycache__/a.cpython-311.pyc": "bytecode", "stagebuild.yaml": inputsPipeline,
	} {
		writeCtx(t, filepath.Join(dir, name), text)
	}
	return dir
}

func writeCtx(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func inputsFor(t *testing.T, dir string, args map[string]string) (*Plan, *Inputs) {
	t.Helper()
	p, err := pipeline.Load(filepath.Join(dir, "stagebuild.yaml"), args)
	if err != nil {
		t.Fatal(err)
	}
	r, err := targets.Resolve(p, []string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Make(p, r, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	in, err := ComputeInputs(dir, plan)
	if err != nil {
		t.Fatal(err)
	}
	// What the CLI records is the JSON form: diff against that.
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var back Inputs
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return plan, &back
}

func TestInputsFileEdits(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(t *testing.T, dir string)
		want    []Change
		rebuild string
	}{
		{"nothing", func(*testing.T, string) {}, nil, ""},
		{"edit one file", func(t *testing.T, dir string) { writeCtx(t, filepath.Join(dir, "app/sub/b.py"), "B2\n") },
			[]Change{{Kind: ChangeFile, Path: "app/sub/b.py", Detail: "changed"}}, "app@0"},
		{"add a file", func(t *testing.T, dir string) { writeCtx(t, filepath.Join(dir, "app/c.py"), "C\n") },
			[]Change{{Kind: ChangeFile, Path: "app/c.py", Detail: "added"}}, "app@0"},
		{"remove a file", func(t *testing.T, dir string) { removeCtx(t, filepath.Join(dir, "app/a.py")) },
			[]Change{{Kind: ChangeFile, Path: "app/a.py", Detail: "removed"}}, "app@0"},
		{"mode only", func(t *testing.T, dir string) { chmodCtx(t, filepath.Join(dir, "conf/settings.ini"), 0o755) },
			[]Change{{Kind: ChangeFile, Path: "conf/settings.ini", Detail: "changed"}}, "app@1"},
		{"an empty dir below a copied dir", func(t *testing.T, dir string) { mkdirCtx(t, filepath.Join(dir, "app/empty")) },
			[]Change{{Kind: ChangeFile, Path: "app/empty", Detail: "added"}}, "app@0"},
		{"the first stage's file", func(t *testing.T, dir string) { writeCtx(t, filepath.Join(dir, "req.txt"), "flask\npytest\n") },
			[]Change{{Kind: ChangeFile, Path: "req.txt", Detail: "changed"}}, "base@0 app@0<base"},
		{"a file no step copies", func(t *testing.T, dir string) { writeCtx(t, filepath.Join(dir, "README.md"), "more docs\n") }, nil, ""},
		{"a file that is never sent", func(t *testing.T, dir string) {
			writeCtx(t, filepath.Join(dir, "app/__pycache__/a.cpython-311.pyc"), "other bytecode")
			writeCtx(t, filepath.Join(dir, "app/stale.pyc"), "x")
		}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := inputsContext(t)
			_, old := inputsFor(t, dir, nil)
			tc.edit(t, dir)
			plan, cur := inputsFor(t, dir, nil)
			got := DiffInputs(old, cur, plan)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DiffInputs = %+v, want %+v", got, tc.want)
			}
			if r := renderRebuilds(Explain(plan, got)); r != tc.rebuild {
				t.Errorf("Explain = %q, want %q", r, tc.rebuild)
			}
		})
	}
}

func TestInputsDefinitionChanges(t *testing.T) {
	dir := inputsContext(t)
	_, old := inputsFor(t, dir, nil)

	// The same pipeline file with another arg value: only an arg explains it.
	plan, cur := inputsFor(t, dir, map[string]string{"GREETING": "bonjour"})
	byArg := "step definition changed by a build arg"
	want := []Change{{Kind: ChangeArg, Stage: "base", Step: 1, Detail: byArg}, {Kind: ChangeArg, Stage: "app", Step: 2, Detail: byArg}}
	if got := DiffInputs(old, cur, plan); !reflect.DeepEqual(got, want) {
		t.Errorf("arg: %+v, want %+v", got, want)
	}
	if r := renderRebuilds(Explain(plan, DiffInputs(old, cur, plan))); r != "base@1 app@0<base" {
		t.Errorf("arg: Explain = %s", r)
	}

	// An edited command in the file.
	writeCtx(t, filepath.Join(dir, "stagebuild.yaml"), inputsPipeline[:len(inputsPipeline)-len("ls\n")]+"ls -l\n")
	plan, cur = inputsFor(t, dir, nil)
	want = []Change{{Kind: ChangePipeline, Stage: "app", Step: 2, Detail: "step definition changed in the pipeline file"}}
	if got := DiffInputs(old, cur, plan); !reflect.DeepEqual(got, want) {
		t.Errorf("pipeline: %+v, want %+v", got, want)
	}

	// A stage the record lacks rebuilds whole.
	delete(old.Stages, "app")
	got := DiffInputs(old, cur, plan)
	if len(got) != 1 || got[0].Stage != "app" || got[0].Kind != ChangePipeline || got[0].Step != 0 {
		t.Errorf("missing stage: %+v", got)
	}
	// A record of another format rebuilds everything.
	old.Version = InputsVersion + 1
	if got := renderRebuilds(Explain(plan, DiffInputs(old, cur, plan))); got != "base@0 app@0<base" {
		t.Errorf("other version: %s", got)
	}
}

func TestInputsFileDigests(t *testing.T) {
	dir := inputsContext(t)
	_, in := inputsFor(t, dir, nil)
	files := in.Files["app"]
	if len(files) != 3 || files[2] != nil {
		t.Fatalf("files of app's steps: %v", files)
	}
	var paths []string
	for p := range files[0] {
		paths = append(paths, p)
	}
	if len(paths) != 3 || files[0]["app/a.py"] == "" || files[0]["app/sub/b.py"] == "" || files[0]["app/sub"] == "" {
		t.Errorf("app copy reads %v", paths)
	}
	if _, ok := files[1]["conf/settings.ini"]; !ok || len(files[1]) != 1 {
		t.Errorf("conf copy reads %v", files[1])
	}
	if len(in.Stages["base"]) != 3 || in.Stages["base"][0] == in.Stages["base"][1] {
		t.Errorf("base step digests %v", in.Stages["base"])
	}
}

func removeCtx(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func chmodCtx(t *testing.T, p string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, m); err != nil {
		t.Fatal(err)
	}
}

func mkdirCtx(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}
