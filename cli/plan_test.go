package cli

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/state"
	"github.com/stagebuild/stagebuild/targets"
)

const planExampleDir = "../examples/python-service"

func runPlanCmd(t *testing.T, args ...string) (*PlanOptions, error) {
	t.Helper()
	var got *PlanOptions
	var buf bytes.Buffer
	cmd := newPlanCmd(Streams{Out: &buf, Err: &buf}, func(o *PlanOptions) error { got = o; return nil })
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	return got, cmd.Execute()
}

func TestPlanOptions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want PlanOptions
	}{
		{"defaults", nil, PlanOptions{File: "stagebuild.yaml", ContextDir: ".", Format: "text"}},
		{"DIR, targets, args, json", []string{"--target", "service", "--target", "localdev", "--build-arg", "A=b", "--format", "json", "ctx"},
			PlanOptions{File: "ctx/stagebuild.yaml", ContextDir: "ctx", Targets: []string{"service", "localdev"}, BuildArgs: map[string]string{"A": "b"}, Format: "json"}},
		{"-f", []string{"-f", "ci/p.yaml"}, PlanOptions{File: "ci/p.yaml", ContextDir: "ci", Format: "text"}},
		{"--changed relative to the context", []string{planExampleDir, "--changed", "app/__init__.py", "--changed", "./tests/"},
			PlanOptions{File: planExampleDir + "/stagebuild.yaml", ContextDir: planExampleDir, Changed: []string{"app/__init__.py", "tests"}, Format: "text"}},
		{"--changed relative to the current dir", []string{planExampleDir, "--changed", planExampleDir + "/app/gone.py"},
			PlanOptions{File: planExampleDir + "/stagebuild.yaml", ContextDir: planExampleDir, Changed: []string{"app/gone.py"}, Format: "text"}},
		{"--changed of a deleted file", []string{planExampleDir, "--changed", "lib/deleted.py"},
			PlanOptions{File: planExampleDir + "/stagebuild.yaml", ContextDir: planExampleDir, Changed: []string{"lib/deleted.py"}, Format: "text"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runPlanCmd(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.BuildArgs == nil {
				tc.want.BuildArgs = map[string]string{}
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options\n%+v\nwant\n%+v", *got, tc.want)
			}
		})
	}
	abs, _ := filepath.Abs(filepath.Join(planExampleDir, "requirements.txt"))
	if got, err := runPlanCmd(t, planExampleDir, "--changed", abs); err != nil || !reflect.DeepEqual(got.Changed, []string{"requirements.txt"}) {
		t.Errorf("absolute --changed: %+v, %v", got, err)
	}
}

func TestPlanUsageErrors(t *testing.T) {
	for args, want := range map[string]string{
		"--format yaml":                 `--format "yaml": must be text or json`,
		"--build-arg X":                 `--build-arg "X": write KEY=VALUE`,
		"a b":                           "plan takes at most one DIR argument, got 2 (a b)",
		"--changed ../../go.mod " + "x": "--changed ../../go.mod: outside the build context x",
	} {
		_, err := runPlanCmd(t, strings.Fields(args)...)
		if err == nil || err.Error() != want || ExitCode(err) != ExitUsage {
			t.Errorf("%s: err %v (exit %d), want %s", args, err, ExitCode(err), want)
		}
	}
}

func mainPlan(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main(append([]string{"plan"}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errb}); code != ExitOK {
		t.Fatalf("plan %q: exit %d: %s", args, code, errb.String())
	}
	return out.String(), errb.String()
}

func TestPlanTextChanged(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", t.TempDir())
	out, _ := mainPlan(t, planExampleDir, "--target", "service", "--changed", "app/__init__.py")
	for _, want := range []string{
		"  service  gated by tests",
		"  builder  FROM stage deps\n    1. COPY app  (" + planExampleDir + "/stagebuild.yaml:",
		"         context: app/__init__.py",
		"         cache: /root/.cache/pip",
		"changes (from --changed)\n  file: app/__init__.py changed\n",
		"  builder: step 1 COPY app (app/__init__.py changed) → service\n",
		"  service: whole stage (base stage builder rebuilds)\n",
		"  tests: whole stage (base stage tests_builder rebuilds)\n",
		"cached: deps, ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "  deps: ") || strings.Contains(out, "  test_deps: ") {
		t.Errorf("deps rebuild:\n%s", out)
	}
}

// copyTree copies the example, so a test may edit it and record builds.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
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
		info, _ := d.Info()
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// recordBuild records dir's inputs as a successful build would.
func recordBuild(t *testing.T, dir string, args map[string]string) {
	t.Helper()
	file := filepath.Join(dir, pipeline.DefaultFile)
	p, err := pipeline.Load(file, args)
	if err != nil {
		t.Fatal(err)
	}
	r, err := targets.Resolve(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Make(p, r, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := state.WriteRecord(dir, file, p.ArgValues, pl); err != nil {
		t.Fatal(err)
	}
}

func planOut(t *testing.T, args ...string) stagebuild.PlanReport {
	t.Helper()
	out, _ := mainPlan(t, append(args, "--format", "json")...)
	var got stagebuild.PlanReport
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return got
}

func TestPlanAgainstRecord(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", t.TempDir())
	dir := copyTree(t, planExampleDir)

	out, errs := mainPlan(t, dir)
	if want := "stagebuild: no previous build recorded for " + dir + "; run stagebuild build first, or pass --changed PATH\n"; errs != want {
		t.Errorf("stderr %q, want %q", errs, want)
	}
	if !strings.Contains(out, "stages\n") || strings.Contains(out, "will rebuild") {
		t.Errorf("no record: output\n%s", out)
	}
	if got := planOut(t, dir); got.Changes != nil || got.Rebuild != nil || len(got.Stages) == 0 || got.Version != plan.Version {
		t.Errorf("no record: %+v", got)
	}

	recordBuild(t, dir, nil)
	got := planOut(t, dir)
	if got.From != "record" || got.Changes == nil || len(*got.Changes) != 0 || len(got.Rebuild) != 0 || len(got.Cached) != len(got.Stages) {
		t.Errorf("right after the build: %+v", got)
	}

	writeTestFile(t, filepath.Join(dir, "tests", "test_more.py"), "def test_more():\n    pass\n")
	got = planOut(t, dir)
	want := []plan.Change{{Kind: plan.ChangeFile, Path: "tests/test_more.py", Detail: "added"}}
	if got.Changes == nil || !reflect.DeepEqual(*got.Changes, want) {
		t.Errorf("changes %+v, want %+v", got.Changes, want)
	}
	if len(got.Rebuild) == 0 || got.Rebuild[0].Stage != "tests_builder" || got.Rebuild[0].Parent != "" {
		t.Errorf("rebuild %+v", got.Rebuild)
	}

	recordBuild(t, dir, nil)
	got = planOut(t, dir, "--build-arg", "PYTHON_IMAGE=python:3.12-slim")
	if got.Changes == nil || len(*got.Changes) == 0 {
		t.Fatalf("arg change: %+v", got)
	}
	for _, c := range *got.Changes {
		if c.Kind != plan.ChangeArg || c.Detail != `build arg changed: PYTHON_IMAGE "python:3.11-slim-bookworm" → "python:3.12-slim"` {
			t.Errorf("arg change %+v", c)
		}
	}
	if r := got.Rebuild; len(r) < 3 || r[0].Stage != "deps" || r[0].FromStep != 0 || r[1].Stage != "builder" || r[1].Parent != "deps" {
		t.Errorf("arg change rebuilds %+v", r)
	}
}

func writeTestFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// `plan --format json` prints the plan itself, version, warnings, includes
// and excludes too, then what the explanation adds; decoded, its plan is the
// plan a build makes.
func TestPlanJSON(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", t.TempDir())
	dir := smallProject(t)
	out, errs := mainPlan(t, dir, "--target", "app", "--format", "json", "--changed", "app/main.py")
	warning := `DIR/stagebuild.yaml:6:12: stage \"app\" copies . before running \"pip install -r requirements.txt .\" (DIR/stagebuild.yaml:7:10), ` +
		`so any change to . re-runs it: copy only the dependency manifests in this stage and the sources in a stage built from it (or use install: auto)`
	want := `{
  "version": 2,
  "pipeline": "DIR/stagebuild.yaml",
  "warnings": [
    "` + warning + `"
  ],
  "context": {
    "includes": [
      ".",
      "requirements.txt"
    ],
    "excludes": [
      ".git",
      "**/.venv",
      "**/__pycache__",
      "**/node_modules",
      "**/*.pyc",
      "stagebuild-reports",
      "build"
    ]
  },
  "stages": [
    {
      "name": "app",
      "purity": {},
      "base": {
        "image": "python:3.12"
      },
      "config": {
        "workdir": "/app"
      },
      "steps": [
        {
          "kind": "copy",
          "src": ".",
          "dest": ".",
          "source": "DIR/stagebuild.yaml:6:12"
        },
        {
          "kind": "copy",
          "src": "requirements.txt",
          "dest": "requirements.txt",
          "source": "DIR/stagebuild.yaml:6:15"
        },
        {
          "kind": "run",
          "args": [
            "pip install -r requirements.txt ."
          ],
          "shell": true,
          "cache_mounts": [
            {
              "target": "/root/.cache/pip",
              "id": "stagebuild:/root/.cache/pip"
            }
          ],
          "source": "DIR/stagebuild.yaml:7:10"
        }
      ]
    },
    {
      "name": "unit",
      "gate": true,
      "base": {
        "stage": "app"
      },
      "config": {},
      "steps": [
        {
          "kind": "test",
          "args": [
            "pytest",
            "-q"
          ],
          "source": "DIR/stagebuild.yaml:11:11"
        }
      ]
    }
  ],
  "targets": [
    {
      "stage": "app",
      "gates": [
        "unit"
      ]
    }
  ],
  "context_dir": "DIR",
  "changes_from": "changed",
  "changes": [
    {
      "kind": "file",
      "path": "app/main.py",
      "detail": "changed"
    }
  ],
  "rebuild": [
    {
      "stage": "app",
      "from_step": 0,
      "reason": "app/main.py changed"
    },
    {
      "stage": "unit",
      "from_step": 0,
      "reason": "base stage app rebuilds",
      "parent": "app"
    }
  ]
}
`
	if got := strings.ReplaceAll(out, dir, "DIR"); got != want {
		t.Errorf("stdout:\n%s\nwant\n%s", got, want)
	}
	if got, want := strings.ReplaceAll(errs, dir, "DIR"), "stagebuild: warning: "+strings.ReplaceAll(warning, `\"`, `"`)+"\n"; got != want {
		t.Errorf("stderr:\n%s\nwant\n%s", got, want)
	}

	var printed plan.Plan
	if err := json.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Load(filepath.Join(dir, pipeline.DefaultFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := targets.Resolve(p, []string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	made, err := plan.Make(p, r, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&printed, made) {
		t.Errorf("printed plan\n%+v\nwant the plan a build makes\n%+v", printed, *made)
	}
}

// smallProject is a build context whose plan shows every part of the plan:
// a warning, includes, excludes from .dockerignore, a gate.
func smallProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"stagebuild.yaml": "version: 1\nstages:\n  app:\n    from: python:3.12\n    workdir: /app\n" +
			"    copy: [., requirements.txt]\n    run: pip install -r requirements.txt .\n    gated_by: [unit]\n" +
			"  unit:\n    from: app\n    test: [pytest, -q]\n",
		"requirements.txt": "flask\n",
		"app/main.py":      "print(1)\n",
		".dockerignore":    "build/\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, name), text)
	}
	return dir
}

func TestPlanText(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", t.TempDir())
	dir := smallProject(t)
	out, _ := mainPlan(t, dir, "--target", "app", "--changed", "app/main.py")
	want := `pipeline DIR/stagebuild.yaml (context DIR)

targets
  app  gated by unit

stages
  app  FROM image python:3.12
    1. COPY .  (DIR/stagebuild.yaml:6:12)
         context: .dockerignore, app, app/main.py, requirements.txt, stagebuild.yaml
    2. COPY requirements.txt  (DIR/stagebuild.yaml:6:15)
         context: requirements.txt
    3. RUN pip install -r requirements.txt .  (DIR/stagebuild.yaml:7:10)
         cache: /root/.cache/pip
  unit (gate)  FROM stage app
    1. TEST ["pytest","-q"]  (DIR/stagebuild.yaml:11:11)

changes (from --changed)
  file: app/main.py changed

will rebuild
  app: step 1 COPY . (app/main.py changed) → unit
  unit: whole stage (base stage app rebuilds)
`
	if got := strings.ReplaceAll(out, dir, "DIR"); got != want {
		t.Errorf("stdout:\n%s\nwant\n%s", got, want)
	}
}
