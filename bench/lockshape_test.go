package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stagebuild/stagebuild/initgen"
	"github.com/stagebuild/stagebuild/pipeline"
)

func TestRequirementLines(t *testing.T) {
	got, err := requirementLines("requirements.txt", []byte("# pins\nflask==3.0.3\n\n  gunicorn==23.0.0  # the server\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "flask==3.0.3|gunicorn==23.0.0" {
		t.Errorf("got %q", got)
	}
	_, err = requirementLines("test_requirements.txt", []byte("pytest==8.3.3\n-r requirements.txt\n"))
	want := `test_requirements.txt:2: "-r requirements.txt": only plain requirement specifiers can become pyproject dependencies (drop the option)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestWritePyproject(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"requirements.txt":      "flask==3.0.3\ngunicorn==23.0.0\n",
		"test_requirements.txt": "# tests\npytest==8.3.3\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := writePyproject(dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "pyproject.toml"))
	if err != nil {
		t.Fatal(err)
	}
	want := `[project]
name = "python-service"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [
    "flask==3.0.3",
    "gunicorn==23.0.0",
]

[dependency-groups]
dev = [
    "pytest==8.3.3",
]
`
	if string(got) != want {
		t.Errorf("pyproject.toml:\n%s\nwant:\n%s", got, want)
	}
	if got := pyprojectFor(nil, nil); !strings.Contains(got, "dependencies = []\n") || !strings.Contains(got, "dev = []\n") {
		t.Errorf("empty groups:\n%s", got)
	}
}

// lockFixture is a uv.lock for the lock shape's pyproject, as `uv lock`
// writes it, trimmed to the three pinned packages (no transitive ones) and
// pointed at an index that does not exist: no network, no real index host.
const lockFixture = `version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "flask"
version = "3.0.3"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/f.whl", hash = "sha256:ff", size = 1 }]

[[package]]
name = "gunicorn"
version = "23.0.0"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/g.whl", hash = "sha256:gg", size = 1 }]

[[package]]
name = "pytest"
version = "8.3.3"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://index.invalid/p.whl", hash = "sha256:pp", size = 1 }]

[[package]]
name = "python-service"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "flask" }, { name = "gunicorn" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]
`

// stageShape is what a stage does, for comparing the committed pipeline
// with init's: its base, env, files, mounts, caches and commands.
func stageShape(s *pipeline.Stage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "from %s; workdir %s\n", s.From.Value, s.Workdir.Value)
	for _, kv := range s.Env {
		fmt.Fprintf(&b, "env %s=%s\n", kv.Key, kv.Value)
	}
	for _, c := range s.Copy {
		var plats []string
		for _, p := range c.Platforms {
			plats = append(plats, p.Value)
		}
		fmt.Fprintf(&b, "copy %s%s %s %v -> %s (from %s)\n", c.Src.Value, c.URL.Value, c.Checksum.Value, plats, c.To.Value, c.From.Value)
	}
	for _, m := range s.Mounts {
		fmt.Fprintf(&b, "mount %s:%s at %s\n", m.From.Value, m.Source.Value, m.Target.Value)
	}
	for _, c := range s.Cache {
		fmt.Fprintf(&b, "cache %s\n", c.Value)
	}
	for _, r := range s.Run {
		fmt.Fprintf(&b, "run %s\n", r)
	}
	if s.Test != nil {
		fmt.Fprintf(&b, "test %s\n", s.Test)
	}
	return b.String()
}

// The committed lock pipeline does what init writes for the lock project in
// every stage the benchmark times: the uv stage, deps and test_deps (their
// copies and run commands: uv, --no-deps, the generated files), the code
// stages and the test. It differs where it is trimmed like the requirements
// shape's: no JUnit report, no checks, purity off and the Dockerfile's
// service stage.
func TestLockPipelineMatchesInit(t *testing.T) {
	example := "../examples/python-service"
	fsys := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(example), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "stagebuild.yaml" {
			return err
		}
		data, err := os.ReadFile(filepath.Join(example, p))
		fsys[p] = &fstest.MapFile{Data: data, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var groups [2][]string
	for i, name := range []string{"requirements.txt", "test_requirements.txt"} {
		if groups[i], err = requirementLines(name, fsys[name].Data); err != nil {
			t.Fatal(err)
		}
	}
	fsys["pyproject.toml"] = &fstest.MapFile{Data: []byte(pyprojectFor(groups[0], groups[1]))}
	fsys["uv.lock"] = &fstest.MapFile{Data: []byte(lockFixture)}

	p, err := initgen.Inspect(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var gen []string
	for _, f := range p.Generated {
		gen = append(gen, f.Name)
		if strings.Contains(string(f.Data), "index.invalid") {
			t.Errorf("generated %s names the index host:\n%s", f.Name, f.Data)
		}
	}
	if strings.Join(gen, " ") != initgen.LockRequirements+" "+initgen.LockDevRequirements {
		t.Fatalf("init generates %v, want %s and %s", gen, initgen.LockRequirements, initgen.LockDevRequirements)
	}
	text, err := p.Pipeline()
	if err != nil {
		t.Fatal(err)
	}
	initPl, err := pipeline.Parse("init.stagebuild.yaml", text, nil)
	if err != nil {
		t.Fatal(err)
	}
	bench, err := pipeline.Load(lockPipeline, nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := func(pl *pipeline.Pipeline) map[string]*pipeline.Stage {
		m := map[string]*pipeline.Stage{}
		for _, s := range pl.Stages {
			m[s.Name] = s
		}
		return m
	}
	want, got := byName(initPl), byName(bench)
	if len(want) != len(got) {
		t.Errorf("stages: %d in %s, %d in init's", len(got), lockPipeline, len(want))
	}
	for _, name := range []string{"uv", "deps", "test_deps", "builder", "tests_builder", "tests", "localdev"} {
		w, g := want[name], got[name]
		if w == nil || g == nil {
			t.Errorf("stage %s: in init's %v, in %s %v", name, w != nil, lockPipeline, g != nil)
			continue
		}
		ws, gs := stageShape(w), stageShape(g)
		if name == "tests" { // trimmed: no JUnit report, as the Dockerfile writes none
			ws = strings.Replace(ws, " --junitxml=/reports/junit.xml", "", 1)
		}
		if ws != gs {
			t.Errorf("stage %s in %s:\n%s\ninit writes:\n%s", name, lockPipeline, gs, ws)
		}
	}
	if s := got["service"]; s == nil || s.From.Value != "builder" || len(s.GatedBy) != 1 || s.GatedBy[0].Value != "tests" {
		t.Errorf("%s: service must be built from builder and gated by tests", lockPipeline)
	}
	for _, want := range []string{"--no-deps -r " + initgen.LockRequirements, "--no-deps -r " + initgen.LockDevRequirements} {
		if !strings.Contains(string(text), want) {
			t.Errorf("init's pipeline does not run %q:\n%s", want, text)
		}
	}
}

// The Dockerfile of the lock shape installs the files the pipeline does,
// with pip and --no-deps, and is the requirements shape's otherwise.
func TestLockDockerfile(t *testing.T) {
	req, err := os.ReadFile(dockerfileName)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(lockDockerfile)
	if err != nil {
		t.Fatal(err)
	}
	body := func(b []byte) string { _, rest, _ := strings.Cut(string(b), "\nFROM "); return rest }
	want := strings.NewReplacer(
		"COPY requirements.txt requirements.txt", "COPY requirements.lock.txt requirements.lock.txt",
		"pip install -r requirements.txt", "pip install --no-deps -r requirements.lock.txt",
		"COPY test_requirements.txt test_requirements.txt", "COPY requirements-dev.lock.txt requirements-dev.lock.txt",
		"pip install -r test_requirements.txt", "pip install --no-deps -r requirements-dev.lock.txt",
	).Replace(body(req))
	if got := body(lock); got != want {
		t.Errorf("%s after its comment:\n%s\nwant (%s with the lock's files):\n%s", lockDockerfile, got, dockerfileName, want)
	}
}

// A -pipeline lock report is one "## Lockfile shape" section (results,
// targets, details) that -merge moves into the main report before its
// Details, replacing it on the next merge; the lock report's own Method and
// Machine stay behind.
func TestMergeLockSection(t *testing.T) {
	secs := func(xs ...float64) []result {
		var rs []result
		for _, x := range xs {
			rs = append(rs, result{Wall: time.Duration(x * float64(time.Second))})
		}
		return rs
	}
	rep := &report{runs: 3, pipeline: "lock", args: "-pipeline lock -runs 3", started: time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC),
		results: []measured{{sc: scenario{name: "noop", what: "rebuild with nothing changed"},
			res: map[string][]result{toolS: secs(0.2, 0.1, 0.3), toolB1: secs(1, 1, 1), toolB2: secs(2, 2, 2)}}}}
	lock := rep.lockMarkdown()
	dir := t.TempDir()
	from, into := filepath.Join(dir, "lock.md"), filepath.Join(dir, "BENCHMARKS.md")
	main := "# Benchmarks\n\n## Results\n\nrequirements shape\n\n## Services\n\nservices\n\n## Details\n\ndetails\n\n## Method\n\nmethod\n"
	for p, s := range map[string]string{from: lock, into: main} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := mergeReport(from, into, []string{"lock"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(into)
	doc := string(b)
	sec, ok := section(lock, lockHeading)
	if !ok {
		t.Fatalf("the lock report has no %q section:\n%s", lockHeading, lock)
	}
	head, body, _ := strings.Cut(sec, "\n")
	want := strings.Replace(main, "## Details", head+"\n\n"+mergedNote+"\n"+body+"\n## Details", 1)
	if doc != want {
		t.Errorf("merged:\n%s\nwant:\n%s", doc, want)
	}
	for _, s := range []string{"| noop | 0.20 s | 1.00 s | 2.00 s | 0.20 | 0.10 |", "### Lockfile shape: noop", "S ≤ 0.3×B1", "Run: `go run ./bench -pipeline lock -runs 3`"} {
		if !strings.Contains(sec, s) {
			t.Errorf("the lock section lacks %q:\n%s", s, sec)
		}
	}
	if strings.Contains(sec, "## Method") || strings.Count(doc, "## Method") != 1 {
		t.Errorf("the lock report's Method went into the section:\n%s", doc)
	}
	if err := mergeReport(from, into, []string{"lock"}); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(into); string(b2) != want {
		t.Errorf("merged again:\n%s\nwant:\n%s", b2, want)
	}
}
