package plan

import (
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

func planText(t *testing.T, yaml string, fsys fstest.MapFS, target string) *Plan {
	t.Helper()
	p, err := pipeline.Parse("stagebuild.yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := targets.Resolve(p, []string{target})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Make(p, r, fsys)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func kinds(st *Stage) string {
	var out []string
	for _, s := range st.Steps {
		switch s.Kind {
		case StepCopy:
			out = append(out, "copy "+s.Src)
		case StepFile:
			out = append(out, "file "+s.Dest)
		default:
			out = append(out, string(s.Kind)+" "+strings.Join(s.Args, " "))
		}
	}
	return strings.Join(out, "; ")
}

// Sources copied beside the manifests move after a dependency install, which
// gets its cache mount without being told.
func TestManifestsFirst(t *testing.T) {
	plan := planText(t, `
version: 1
stages:
  app:
    from: python:3.11-slim-bookworm
    copy: [src, requirements.txt]
    run:
      - python -m venv /opt/venv
      - pip install -r requirements.txt
`, fstest.MapFS{}, "app")
	st := plan.Stage("app")
	want := "copy requirements.txt; run python -m venv /opt/venv; run pip install -r requirements.txt; copy src"
	if got := kinds(st); got != want {
		t.Fatalf("steps:\n got %s\nwant %s", got, want)
	}
	if m := st.Steps[2].CacheMounts; len(m) != 1 || m[0].Target != "/root/.cache/pip" {
		t.Errorf("pip step mounts %+v, want the pip cache", m)
	}
	if len(st.Steps[1].CacheMounts) != 0 {
		t.Errorf("venv step got mounts %+v", st.Steps[1].CacheMounts)
	}
	if len(plan.Warnings) != 0 {
		t.Errorf("warnings: %q", plan.Warnings)
	}
}

// A run step that needs the sources keeps the declared order, and the user
// is told, at the copy's position, why every edit reinstalls.
func TestSourcesBeforeInstallWarns(t *testing.T) {
	plan := planText(t, `
version: 1
stages:
  app:
    from: python:3.11-slim-bookworm
    copy: [., requirements.txt]
    run: pip install -r requirements.txt . 
`, fstest.MapFS{}, "app")
	if got, want := kinds(plan.Stage("app")), "copy .; copy requirements.txt; run pip install -r requirements.txt ."; got != want {
		t.Fatalf("steps:\n got %s\nwant %s", got, want)
	}
	want := []string{`stagebuild.yaml:6:12: stage "app" copies . before running "pip install -r requirements.txt ." (stagebuild.yaml:7:10), ` +
		"so any change to . re-runs it: copy only the dependency manifests in this stage and the sources in a stage built from it (or use install: auto)"}
	if !slices.Equal(plan.Warnings, want) {
		t.Fatalf("warnings:\n got %q\nwant %q", plan.Warnings, want)
	}
}

// install: auto copies no lockfile: the deps layer is the generated locked
// set, so a version bump in pyproject.toml or a new content-hash in the lock
// leaves every step of the stage unchanged.
func TestInstallAutoPoetryIgnoresVersionBump(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("../integration/testdata/poetry/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pipelineText := string(read("stagebuild.yaml"))
	fsys := fstest.MapFS{"pyproject.toml": {Data: read("pyproject.toml")}, "poetry.lock": {Data: read("poetry.lock")}}
	before := planText(t, pipelineText, fsys, "service")
	deps := before.Stage("deps")
	if got := kinds(deps); got != "file .stagebuild/requirements-poetry.txt; run pip install --no-deps -r .stagebuild/requirements-poetry.txt" {
		t.Fatalf("deps steps: %s", got)
	}
	if strings.Contains(deps.Steps[0].Content, "pytest") || !strings.Contains(deps.Steps[0].Content, "flask==3.0.3") {
		t.Errorf("main group requirements:\n%s", deps.Steps[0].Content)
	}
	if !strings.Contains(before.Stage("test_deps").Steps[0].Content, "pytest==8.3.3") {
		t.Errorf("test group lacks pytest:\n%s", before.Stage("test_deps").Steps[0].Content)
	}
	fsys["pyproject.toml"] = &fstest.MapFile{Data: []byte(strings.Replace(string(read("pyproject.toml")), `version = "1.0.0"`, `version = "1.0.1"`, 1))}
	fsys["poetry.lock"] = &fstest.MapFile{Data: []byte(strings.Replace(string(read("poetry.lock")), "content-hash = \"3", "content-hash = \"4", 1))}
	after := planText(t, pipelineText, fsys, "service")
	if a, b := kinds(after.Stage("deps"))+after.Stage("deps").Steps[0].Content, kinds(deps)+deps.Steps[0].Content; a != b {
		t.Errorf("the version bump changed the deps steps")
	}
	// pytest is only on the test side: the purity check forbids it, not flask.
	var names []string
	for _, p := range after.Stage("service").Purity.Packages {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, ","); got != "iniconfig,packaging,pluggy,pytest" {
		t.Errorf("purity packages %s", got)
	}
}

func TestIgnoreFilesAddExcludes(t *testing.T) {
	plan := planText(t, "version: 1\nstages:\n  a:\n    from: busybox:latest\n    copy: [src]\n", fstest.MapFS{
		".dockerignore":     {Data: []byte("# comment\nsrc/*.log\n!src/keep.log\n")},
		".stagebuildignore": {Data: []byte("src/fixtures\n")},
	}, "a")
	got := strings.Join(plan.Context.Excludes[len(DefaultExcludes()):], " ")
	if got != "src/*.log !src/keep.log src/fixtures" {
		t.Errorf("excludes = %q", got)
	}
}

// A test requirements file that includes the service's own requirements
// forbids only what it adds; pytest listed in both stays forbidden.
func TestPurityIncludedRequirements(t *testing.T) {
	pipelineText := `
version: 1
stages:
  deps:
    from: python:3.11-slim-bookworm
    workdir: /app
    copy: [requirements.txt]
    run: pip install -r requirements.txt
  test_deps:
    from: deps
    copy: [requirements-test.txt, lint.txt]
    run: pip install -r requirements-test.txt
  tests:
    from: test_deps
    test: pytest
  service:
    from: deps
    gated_by: [tests]
`
	for _, tc := range []struct{ reqs, want string }{
		{"flask\ngunicorn\n", "pytest,ruff"},
		{"flask\npytest==8.3.3\n", "pytest,ruff"},
	} {
		plan := planText(t, pipelineText, fstest.MapFS{
			"requirements.txt":      {Data: []byte(tc.reqs)},
			"requirements-test.txt": {Data: []byte("-r requirements.txt\n-r lint.txt\npytest==8.3.3\n")},
			"lint.txt":              {Data: []byte("ruff\n")},
		}, "service")
		var names []string
		for _, p := range plan.Stage("service").Purity.Packages {
			names = append(names, p.Name)
		}
		slices.Sort(names)
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("requirements %q: forbidden %s, want %s", tc.reqs, got, tc.want)
		}
	}
}

// An installer's word is in every command its regexp matches, so skipping
// the regexp for commands without it changes nothing.
func TestInstallerWords(t *testing.T) {
	commands := []string{"pip install -r r.txt", "python3 -m pip3 install x", "(pip install a)", "uv sync --frozen", "uv pip install -r r.txt",
		"poetry install --no-root", "npm ci", "npm install", "yarn", "yarn install --frozen-lockfile", "pnpm i", "pnpm install",
		"go mod download", "cd x && go mod download -x", "apt-get install -y curl", "python -m venv /opt/venv"}
	for _, c := range commands {
		matched := 0
		for _, in := range installers {
			if in.match.MatchString(c) {
				matched++
				if !strings.Contains(c, in.word) {
					t.Errorf("%s matches %q without its word %q", in.name, c, in.word)
				}
			}
		}
		if want := !strings.HasPrefix(c, "apt-get") && !strings.HasPrefix(c, "python -m venv"); (matched > 0) != want {
			t.Errorf("%q: %d installers match", c, matched)
		}
	}
}
