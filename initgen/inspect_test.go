package initgen

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stagebuild/stagebuild/pipeline"
)

// copyFS reads a testdata project into a MapFS that tests can extend.
func copyFS(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join(dir, p))
		m[p] = &fstest.MapFile{Data: data, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// uvLock is a uv.lock for testdata/init/uv-src as `uv lock` writes it,
// trimmed to a few packages and pointed at an index that does not exist.
const uvLock = `version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "fastapi"
version = "0.115.12"
source = { registry = "https://index.invalid/simple" }
dependencies = [{ name = "starlette" }]
sdist = { url = "https://index.invalid/f.tar.gz", hash = "sha256:aa", size = 1 }
wheels = [{ url = "https://index.invalid/f.whl", hash = "sha256:ab", size = 1 }]

[[package]]
name = "inventory"
version = "0.3.0"
source = { editable = "." }
dependencies = [{ name = "fastapi" }, { name = "uvicorn" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "pytest"
version = "8.3.5"
source = { registry = "https://index.invalid/simple" }
dependencies = [{ name = "starlette" }]
wheels = [{ url = "https://index.invalid/p.whl", hash = "sha256:pp", size = 1 }]

[[package]]
name = "starlette"
version = "0.46.2"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/s.whl", hash = "sha256:ss", size = 1 }]

[[package]]
name = "uvicorn"
version = "0.34.3"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/u.whl", hash = "sha256:uu", size = 1 }]
`

func notes(p *Project) string {
	var b strings.Builder
	for _, n := range p.Notes {
		b.WriteString(n.String() + "\n")
	}
	return b.String()
}

// parse renders the pipeline and loads it back from a file.
func parse(t *testing.T, p *Project) *pipeline.Pipeline {
	t.Helper()
	text, err := p.Pipeline()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), pipeline.DefaultFile)
	if err := os.WriteFile(file, text, 0o644); err != nil {
		t.Fatal(err)
	}
	pl, err := pipeline.Load(file, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return pl
}

func copies(s *pipeline.Stage) []string {
	var out []string
	for _, c := range s.Copy {
		out = append(out, c.Src.Value)
	}
	return out
}

func TestInspectSamples(t *testing.T) {
	uv := copyFS(t, "../testdata/init/uv-src")
	uv["uv.lock"] = &fstest.MapFile{Data: []byte(uvLock)}
	tests := []struct {
		name          string
		fsys          fs.FS
		manager       string
		deps, testDep []string // copies of deps and test_deps
		code, tests   []string // copies of builder and tests_builder
		test          string
		entrypoint    []string
		pythonPath    string
		notes         []string
		generated     map[string][]string // file -> lines it must contain
		notGenerated  map[string][]string // file -> lines it must not contain
	}{
		{name: "requirements and Flask", fsys: os.DirFS("../testdata/init/flask-requirements"), manager: "pip",
			deps: []string{"requirements.txt"}, testDep: []string{"requirements-test.txt"},
			code: []string{"notes"}, tests: []string{"notes", "tests"},
			test:       "pytest -q -p no:cacheprovider --junitxml=/reports/junit.xml tests",
			entrypoint: []string{"gunicorn", "--bind", "0.0.0.0:8000", "notes:create_app()"}, pythonPath: "/app",
			notes: []string{"detected: dependencies: requirements.txt (pip, 2 packages)",
				"detected: test dependencies: requirements-test.txt (pytest)",
				"guessed: entrypoint: gunicorn serving notes:create_app() on port 8000 (Flask( and create_app in notes/__init__.py)",
				"guessed: base image python:3.11-slim-bookworm (no requires-python or .python-version)"}},
		{name: "Poetry and __main__", fsys: os.DirFS("../testdata/init/poetry-cli"), manager: "poetry",
			deps: []string{LockRequirements}, testDep: []string{LockDevRequirements},
			code: []string{"wordcount"}, tests: []string{"wordcount", "tests", "pyproject.toml"},
			test:       "pytest -q -p no:cacheprovider --junitxml=/reports/junit.xml tests",
			entrypoint: []string{"python", "-m", "wordcount"}, pythonPath: "/app",
			notes: []string{"detected: dependencies: poetry.lock (poetry, 2 packages); requirements.lock.txt is generated from it",
				"detected: test dependencies: group test of poetry.lock (iniconfig, packaging, pluggy, pytest); requirements-dev.lock.txt is generated from it",
				"detected: entrypoint: python -m wordcount (wordcount/__main__.py)",
				"detected: Python >=3.11 (pyproject.toml requires-python): base image python:3.11-slim-bookworm"},
			generated: map[string][]string{
				LockRequirements:    {"click==8.1.7 \\", "    --hash=sha256:ae74fb96c20a0277a1d615f1e4d73c8414f5a98db8b799a7931d1582f3390c28 \\"},
				LockDevRequirements: {"pytest==8.3.3 \\", "pluggy==1.5.0 \\"}},
			notGenerated: map[string][]string{LockRequirements: {"pytest==8.3.3 \\"}, LockDevRequirements: {"click==8.1.7 \\"}}},
		{name: "uv and src layout", fsys: uv, manager: "uv",
			deps: []string{LockRequirements}, testDep: []string{LockDevRequirements},
			code: []string{"src"}, tests: []string{"src", "tests"},
			test:       "pytest -q -p no:cacheprovider --junitxml=/reports/junit.xml tests",
			entrypoint: []string{"uvicorn", "inventory.api:app", "--host", "0.0.0.0", "--port", "8000"}, pythonPath: "/app/src",
			notes: []string{"detected: source: src/ layout, package inventory (PYTHONPATH /app/src)",
				"detected: test dependencies: group dev of uv.lock (pytest); requirements-dev.lock.txt is generated from it",
				"guessed: entrypoint: uvicorn serving inventory.api:app on port 8000 (app = FastAPI( in src/inventory/api.py)",
				"detected: Python 3.11 (.python-version): base image python:3.11-slim-bookworm"},
			generated: map[string][]string{
				LockRequirements:    {"fastapi==0.115.12 \\", "    --hash=sha256:aa \\", "starlette==0.46.2 \\", "uvicorn==0.34.3 \\"},
				LockDevRequirements: {"pytest==8.3.5 \\", "    --hash=sha256:pp"}},
			notGenerated: map[string][]string{LockRequirements: {"pytest==8.3.5 \\"}, LockDevRequirements: {"starlette==0.46.2 \\", "index.invalid"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Inspect(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if p.Manager != tc.manager || p.PythonPath != tc.pythonPath {
				t.Errorf("manager %q pythonpath %q", p.Manager, p.PythonPath)
			}
			for _, n := range tc.notes {
				if !strings.Contains(notes(p), n+"\n") {
					t.Errorf("notes lack %q; have:\n%s", n, notes(p))
				}
			}
			pl := parse(t, p)
			want := []string{"deps", "test_deps", "builder", "tests_builder", "tests", "localdev", "service"}
			if p.useUV() {
				want = append([]string{"uv"}, want...)
			}
			if got := pl.StageNames(); !slices.Equal(got, want) {
				t.Fatalf("stages %q", got)
			}
			for stage, want := range map[string][]string{"deps": tc.deps, "test_deps": tc.testDep, "builder": tc.code, "tests_builder": tc.tests} {
				if got := copies(pl.Stage(stage)); !slices.Equal(got, want) {
					t.Errorf("%s copies %q, want %q", stage, got, want)
				}
			}
			svc := pl.Stage("service")
			if svc.FromStage != "builder" || len(svc.GatedBy) != 1 || svc.GatedBy[0].Value != "tests" {
				t.Errorf("service from %q gated by %v", svc.FromStage, svc.GatedBy)
			}
			if svc.Entrypoint == nil || !reflect.DeepEqual(svc.Entrypoint.Args, tc.entrypoint) {
				t.Errorf("service entrypoint %+v, want %q", svc.Entrypoint, tc.entrypoint)
			}
			if got := pl.Stage("tests").Test.Args[0]; got != tc.test {
				t.Errorf("test %q", got)
			}
			for _, e := range pl.Stage("deps").Env {
				if e.Key == "PYTHONPATH" && e.Value != tc.pythonPath {
					t.Errorf("PYTHONPATH %q", e.Value)
				}
			}
			gen := map[string]string{}
			for _, f := range p.Generated {
				gen[f.Name] = string(f.Data)
			}
			if len(gen) != len(tc.generated) {
				t.Errorf("generated %d files, want %d", len(gen), len(tc.generated))
			}
			for name, lines := range tc.generated {
				for _, l := range lines {
					if !slices.Contains(strings.Split(gen[name], "\n"), l) {
						t.Errorf("%s lacks line %q:\n%s", name, l, gen[name])
					}
				}
				if !strings.Contains(gen[name], "regenerate it with `stagebuild init --force` after changing "+p.Lock) {
					t.Errorf("%s does not say how to regenerate it", name)
				}
			}
			for name, lines := range tc.notGenerated {
				for _, l := range lines {
					if strings.Contains(gen[name], l) {
						t.Errorf("%s has %q", name, l)
					}
				}
			}
		})
	}
}
