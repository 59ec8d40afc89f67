package plan

import (
	"io/fs"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

const examplePath = "testdata/seed000.yaml"

// exampleContext is the part of seed000.yaml's build context the planner
// reads: the manifests its purity check parses.
var exampleContext = fstest.MapFS{
	"requirements.txt":      {Data: []byte("flask==3.0.3\n")},
	"test_requirements.txt": {Data: []byte("pytest==8.2.0\n")},
}

// planFor plans p over the build context fsys, as a build does.
func planFor(t *testing.T, p *pipeline.Pipeline, fsys fs.FS, requested ...string) *Plan {
	t.Helper()
	r, err := targets.Resolve(p, requested)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Make(p, r, fsys)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func examplePlan(t *testing.T, requested ...string) *Plan {
	t.Helper()
	p, err := pipeline.Load(examplePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	return planFor(t, p, exampleContext, requested...)
}

func TestPlanServiceStages(t *testing.T) {
	plan := examplePlan(t, "service")
	if plan.Pipeline != examplePath {
		t.Errorf("Pipeline = %q", plan.Pipeline)
	}
	var names []string
	for _, s := range plan.Stages {
		names = append(names, s.Name)
	}
	if want := []string{"deps", "builder", "service", "test_deps", "tests_builder", "tests"}; !reflect.DeepEqual(names, want) {
		t.Errorf("stages = %v, want %v", names, want)
	}
	if want := []Target{{Stage: "service", Gates: []string{"tests"}}}; !reflect.DeepEqual(plan.Targets, want) {
		t.Errorf("targets = %+v, want %+v", plan.Targets, want)
	}
	bases := map[string]Base{
		"deps":          {Image: "python:3.11-slim-bookworm"},
		"builder":       {Stage: "deps"},
		"service":       {Stage: "builder"},
		"test_deps":     {Stage: "deps"},
		"tests_builder": {Stage: "test_deps"},
		"tests":         {Stage: "tests_builder"},
	}
	for name, want := range bases {
		st := plan.Stage(name)
		if st.Base != want {
			t.Errorf("%s base = %+v, want %+v", name, st.Base, want)
		}
		if st.Gate != (name == "tests") {
			t.Errorf("%s gate = %v", name, st.Gate)
		}
	}
	if plan.Stage("localdev") != nil {
		t.Errorf("localdev is planned but service does not need it")
	}
}

func shared(s Step) Step { s.SharedLayer = true; return s }

func TestPlanServiceSteps(t *testing.T) {
	plan := examplePlan(t)
	pip := []CacheMount{{Target: "/root/.cache/pip", ID: "stagebuild:/root/.cache/pip"}}
	cp := func(src, line string) Step {
		return Step{Kind: StepCopy, Src: src, Dest: src, Source: examplePath + ":" + line}
	}
	sh := func(cmd, pos string, mounts []CacheMount) Step {
		return Step{Kind: StepRun, Args: []string{cmd}, Shell: true, CacheMounts: mounts, Source: examplePath + ":" + pos}
	}
	tests := []struct {
		stage string
		want  []Step
	}{
		{"deps", []Step{
			cp("requirements.txt", "21:12"),
			sh("python -m venv /opt/venv", "23:9", pip),
			sh("pip install -r requirements.txt", "24:9", pip),
		}},
		{"test_deps", []Step{
			cp("test_requirements.txt", "29:12"),
			sh("pip install -r test_requirements.txt", "30:10", pip),
		}},
		// app/ goes to /app/app in both: one shared layer.
		{"builder", []Step{shared(cp("app", "35:12"))}},
		{"tests_builder", []Step{shared(cp("app", "39:12")), cp("tests", "39:17")}},
		{"tests", []Step{{Kind: StepTest, Args: []string{"pytest -q -p no:cacheprovider tests"}, Shell: true,
			Source: examplePath + ":43:11"}}},
		{"service", []Step{cp("docker-entrypoint.sh", "52:12")}},
	}
	for _, tc := range tests {
		t.Run(tc.stage, func(t *testing.T) {
			if got := plan.Stage(tc.stage).Steps; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("steps =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestPlanStepOrderAndDest(t *testing.T) {
	// run is written before copy and test; the plan still puts copies
	// first and the test last. Cache paths are cleaned before they become
	// ids, so deps' /root/.cache/pip/ and check's /root/.cache/pip share one.
	p, err := pipeline.Parse("p.yaml", []byte(`
stages:
  deps:
    from: alpine:3
    cache: [/root/.cache/pip/]
    run: pip install .
  check:
    from: deps
    test: [pytest, -q]
    workdir: /src
    run: [make]
    copy:
      - ./src/
      - {src: cfg.ini, to: /etc/app.ini}
      - {src: lib, to: vendor/lib}
    cache: [/root/.cache/pip]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := planFor(t, p, fstest.MapFS{}, "check")
	pip := []CacheMount{{Target: "/root/.cache/pip", ID: "stagebuild:/root/.cache/pip"}}
	want := []Step{
		{Kind: StepCopy, Src: "src", Dest: "src", Source: "p.yaml:13:9"},
		{Kind: StepCopy, Src: "cfg.ini", Dest: "/etc/app.ini", Source: "p.yaml:14:9"},
		{Kind: StepCopy, Src: "lib", Dest: "vendor/lib", Source: "p.yaml:15:9"},
		// run: [make] is a list of one shell command, not an exec form.
		{Kind: StepRun, Args: []string{"make"}, Shell: true, CacheMounts: pip, Source: "p.yaml:11:11"},
		{Kind: StepTest, Args: []string{"pytest", "-q"}, CacheMounts: pip, Source: "p.yaml:9:11"},
	}
	if got := plan.Stage("check").Steps; !reflect.DeepEqual(got, want) {
		t.Errorf("check steps =\n%+v\nwant\n%+v", got, want)
	}
	if got := plan.Stage("deps").Steps[0].CacheMounts; !reflect.DeepEqual(got, pip) {
		t.Errorf("deps mounts = %+v, want %+v", got, pip)
	}
	if want := []string{"cfg.ini", "lib", "src"}; !reflect.DeepEqual(plan.Context.Includes, want) {
		t.Errorf("includes = %v, want %v", plan.Context.Includes, want)
	}
}

func TestPlanSharedCacheIDs(t *testing.T) {
	plan := examplePlan(t, "service")
	deps := plan.Stage("deps").Steps[1].CacheMounts
	testDeps := plan.Stage("test_deps").Steps[1].CacheMounts
	if len(deps) != 1 || !reflect.DeepEqual(deps, testDeps) {
		t.Errorf("deps mounts %+v and test_deps mounts %+v differ", deps, testDeps)
	}
}

func TestPlanContext(t *testing.T) {
	tests := []struct {
		requested []string
		includes  []string
	}{
		{[]string{"service"}, []string{"app", "docker-entrypoint.sh", "requirements.txt", "test_requirements.txt", "tests"}},
		{[]string{"builder"}, []string{"app", "requirements.txt"}},
		{[]string{"deps"}, []string{"requirements.txt"}},
	}
	for _, tc := range tests {
		plan := examplePlan(t, tc.requested...)
		if !reflect.DeepEqual(plan.Context.Includes, tc.includes) {
			t.Errorf("%v: includes = %v, want %v", tc.requested, plan.Context.Includes, tc.includes)
		}
		want := []string{".git", "**/.venv", "**/__pycache__", "**/node_modules", "**/*.pyc", "stagebuild-reports"}
		if !reflect.DeepEqual(plan.Context.Excludes, want) {
			t.Errorf("%v: excludes = %v, want %v", tc.requested, plan.Context.Excludes, want)
		}
	}
}

func TestPlanConfig(t *testing.T) {
	plan := examplePlan(t, "service", "localdev")
	tests := []struct {
		stage string
		want  Config
	}{
		{"deps", Config{Workdir: "/app", Env: []EnvVar{
			{"VIRTUAL_ENV", "/opt/venv"},
			{"PATH", "/opt/venv/bin:${PATH}"},
			{"PYTHONPATH", "/app"},
			{"PYTHONDONTWRITEBYTECODE", "1"},
			{"PIP_DISABLE_PIP_VERSION_CHECK", "1"},
		}}},
		{"builder", Config{}},
		{"service", Config{
			Entrypoint: []string{"/app/docker-entrypoint.sh"},
			Expose:     []string{"3000/tcp"},
			Labels:     map[string]string{"org.opencontainers.image.title": "python-service"},
		}},
		{"localdev", Config{Entrypoint: []string{"pytest"}, Cmd: []string{"tests"}}},
	}
	for _, tc := range tests {
		t.Run(tc.stage, func(t *testing.T) {
			if got := plan.Stage(tc.stage).Config; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("config =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestPlanConfigForms(t *testing.T) {
	p, err := pipeline.Parse("p.yaml", []byte(`
stages:
  app:
    from: alpine:3
    user: "1000:1000"
    entrypoint: exec server
    cmd: [--port, "80"]
    expose: ["80", 53/udp, 8443/tcp]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := planFor(t, p, fstest.MapFS{}, "app").Stage("app").Config
	want := Config{
		User:       "1000:1000",
		Entrypoint: []string{"/bin/sh", "-c", "exec server"},
		Cmd:        []string{"--port", "80"},
		Expose:     []string{"80/tcp", "53/udp", "8443/tcp"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config =\n%+v\nwant\n%+v", got, want)
	}
}

// Make's errors name the pipeline position or the context file and say what
// to do.
func TestMakeErrors(t *testing.T) {
	const installPipeline = `
stages:
  app:
    from: python:3.12
    install: {dir: svc}
`
	tests := []struct {
		name string
		yaml string
		fsys fstest.MapFS
		want string
	}{
		{"no manifests", installPipeline, fstest.MapFS{"svc/app.py": {}},
			"p.yaml:5:14: install: no dependency manifests in svc of the build context (looked for requirements.txt, poetry.lock, " +
				"uv.lock, Pipfile.lock, package.json with a lockfile, go.mod; or copy your manifests and write the install under run:)"},
		{"lock without its project", installPipeline, fstest.MapFS{"svc/poetry.lock": {Data: []byte("[metadata]\n")}},
			"p.yaml:5:14: install: svc/poetry.lock: the lock has no group information (Poetry 1.5-1.8) and there is no pyproject.toml " +
				"next to it (add pyproject.toml to the build context)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := pipeline.Parse("p.yaml", []byte(tc.yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := targets.Resolve(p, []string{"app"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = Make(p, r, tc.fsys)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v\nwant    %s", err, tc.want)
			}
		})
	}
}
