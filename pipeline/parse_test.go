package pipeline

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const examplePath = "testdata/seed000.yaml"

func loadExample(t *testing.T, args map[string]string) *Pipeline {
	t.Helper()
	p, err := Load(examplePath, args)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	return p
}

func TestParseExample(t *testing.T) {
	p := loadExample(t, nil)
	if p.Version != 1 || p.Default.Value != "service" || p.DefaultTarget() != "service" {
		t.Errorf("version %d, default %q (%s)", p.Version, p.Default.Value, p.Default.Pos)
	}
	wantNames := []string{"deps", "test_deps", "builder", "tests_builder", "tests", "localdev", "service"}
	if got := p.StageNames(); !reflect.DeepEqual(got, wantNames) {
		t.Fatalf("stages = %v, want %v", got, wantNames)
	}
	fromStage := map[string]string{"deps": "", "test_deps": "deps", "builder": "deps", "tests_builder": "test_deps",
		"tests": "tests_builder", "localdev": "tests_builder", "service": "builder"}
	for name, want := range fromStage {
		if got := p.Stage(name).FromStage; got != want {
			t.Errorf("%s.FromStage = %q, want %q", name, got, want)
		}
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}

	deps := p.Stage("deps")
	if deps.From.Value != "python:3.11-slim-bookworm" {
		t.Errorf("deps.From = %q, want the PYTHON_IMAGE default", deps.From.Value)
	}
	wantEnv := []KV{
		{"VIRTUAL_ENV", "/opt/venv", Pos{examplePath, 16, 7}},
		{"PATH", "/opt/venv/bin:${PATH}", Pos{examplePath, 17, 7}},
		{"PYTHONPATH", "/app", Pos{examplePath, 18, 7}},
		{"PYTHONDONTWRITEBYTECODE", "1", Pos{examplePath, 19, 7}},
		{"PIP_DISABLE_PIP_VERSION_CHECK", "1", Pos{examplePath, 20, 7}},
	}
	if !reflect.DeepEqual(deps.Env, wantEnv) {
		t.Errorf("deps.Env =\n%v\nwant\n%v", deps.Env, wantEnv)
	}
	if len(deps.Run) != 2 || !deps.Run[0].Shell || deps.Run[1].Args[0] != "pip install -r requirements.txt" {
		t.Errorf("deps.Run = %+v", deps.Run)
	}
	if got := p.Stage("test_deps").Run; len(got) != 1 || !got[0].Shell {
		t.Errorf("test_deps.Run (single string) = %+v", got)
	}
	if got := p.Stage("tests").Test; got == nil || !got.Shell || !p.Stage("tests").IsGate() {
		t.Errorf("tests.Test = %+v", got)
	}
	svc := p.Stage("service")
	if svc.Entrypoint == nil || svc.Entrypoint.Shell || !reflect.DeepEqual(svc.Entrypoint.Argv(), []string{"/app/docker-entrypoint.sh"}) {
		t.Errorf("service.Entrypoint = %+v", svc.Entrypoint)
	}
	if len(svc.GatedBy) != 1 || svc.GatedBy[0].Value != "tests" {
		t.Errorf("service.GatedBy = %+v", svc.GatedBy)
	}
	if got := p.Stage("tests_builder").Copy; len(got) != 2 || got[0].Src.Value != "app" || got[1].Src.Value != "tests" {
		t.Errorf("tests_builder.Copy = %+v", got)
	}

	positions := map[string]struct {
		got  Pos
		want Pos
	}{
		"stage deps":           {deps.Pos, Pos{examplePath, 12, 3}},
		"deps from":            {deps.From.Pos, Pos{examplePath, 13, 11}},
		"deps workdir":         {deps.Workdir.Pos, Pos{examplePath, 14, 14}},
		"deps copy":            {deps.Copy[0].Src.Pos, Pos{examplePath, 21, 12}},
		"deps run[1]":          {deps.Run[1].Pos, Pos{examplePath, 24, 9}},
		"tests test":           {p.Stage("tests").Test.Pos, Pos{examplePath, 43, 11}},
		"service expose":       {svc.Expose[0].Pos, Pos{examplePath, 54, 14}},
		"service gated_by[0]":  {svc.GatedBy[0].Pos, Pos{examplePath, 57, 16}},
		"default":              {p.Default.Pos, Pos{examplePath, 10, 10}},
		"arg PYTHON_IMAGE key": {p.Args[0].Pos, Pos{examplePath, 9, 3}},
	}
	for name, c := range positions {
		if c.got != c.want {
			t.Errorf("%s at %s, want %s", name, c.got, c.want)
		}
	}
}

func TestParseArgOverrides(t *testing.T) {
	p := loadExample(t, map[string]string{"PYTHON_IMAGE": "python:3.12-slim", "PYTHON_IMGE": "x", "AAA": "y"})
	if got := p.Stage("deps").From.Value; got != "python:3.12-slim" {
		t.Errorf("deps.From = %q, want the --build-arg override", got)
	}
	if got := p.ArgValues["PYTHON_IMAGE"]; got != "python:3.12-slim" {
		t.Errorf("ArgValues[PYTHON_IMAGE] = %q", got)
	}
	want := []string{
		"--build-arg AAA is not declared under args: in " + examplePath + " and was ignored",
		"--build-arg PYTHON_IMGE is not declared under args: in " + examplePath + " and was ignored",
	}
	if !reflect.DeepEqual(p.Warnings, want) {
		t.Errorf("warnings =\n%q\nwant\n%q", p.Warnings, want)
	}
}

func TestParseForms(t *testing.T) {
	const file = "testdata/forms.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(file, data, map[string]string{"APP_DIR": "/opt/app"})
	if err != nil {
		t.Fatal(err)
	}
	base := p.Stage("base")
	if base.From.Value != "alpine:3.20" || base.Workdir.Value != "/opt/app" || base.User.Value != "app" {
		t.Errorf("base from %q workdir %q user %q", base.From.Value, base.Workdir.Value, base.User.Value)
	}
	type cp struct{ src, to string }
	var copies []cp
	for _, c := range base.Copy {
		copies = append(copies, cp{c.Src.Value, c.To.Value})
	}
	wantCopies := []cp{{"src.txt", ""}, {"conf/app.ini", "/etc/app.ini"}, {"data/", "/opt/app/data"}}
	if !reflect.DeepEqual(copies, wantCopies) {
		t.Errorf("copies = %v, want %v", copies, wantCopies)
	}
	if got, want := base.Copy[1].Pos, (Pos{file, 13, 9}); got != want {
		t.Errorf("mapping copy at %s, want %s", got, want)
	}
	if got, want := base.Copy[2].To.Pos, (Pos{file, 15, 13}); got != want {
		t.Errorf("copy to: at %s, want %s", got, want)
	}
	run := base.Run
	if len(run) != 2 {
		t.Fatalf("run = %+v", run)
	}
	if !run[0].Shell || !reflect.DeepEqual(run[0].Argv(), []string{"/bin/sh", "-c", "echo shell form"}) || run[0].String() != "echo shell form" {
		t.Errorf("run[0] = %+v argv %q", run[0], run[0].Argv())
	}
	if run[1].Shell || !reflect.DeepEqual(run[1].Argv(), []string{"python", "-m", "pip", "install", "."}) {
		t.Errorf("run[1] = %+v", run[1])
	}
	if got := run[1].String(); got != `["python" "-m" "pip" "install" "."]` {
		t.Errorf("run[1].String() = %s", got)
	}
	check := p.Stage("check")
	if !check.IsGate() || check.Test.Shell || check.FromStage != "base" || p.DefaultTarget() != "service" {
		t.Errorf("check = %+v, default %q", check, p.DefaultTarget())
	}
}

func TestParseErrors(t *testing.T) {
	const ok = "    from: alpine:3\n"
	tests := []struct{ name, yaml, want string }{
		{"invalid YAML: tab", "stages:\n  a:\n" + ok + "\tworkdir: /x\n",
			"p.yaml:4:1: invalid YAML: found a tab character that violates indentation"},
		{"invalid YAML: unclosed flow", "stages: [\n",
			"p.yaml:1:1: invalid YAML: did not find expected node content"},
		{"empty file", "", "p.yaml:1:1: the pipeline is empty (declare a stages: mapping with at least one stage)"},
		{"only a comment", "# nothing\n", "p.yaml:1:1: the pipeline is empty (declare a stages: mapping with at least one stage)"},
		{"not a mapping", "- a\n", "p.yaml:1:1: the pipeline must be a mapping with a stages: key, got a list"},
		{"no stages key", "version: 1\n", "p.yaml:1:1: the pipeline has no stages: key (declare at least one stage)"},
		{"stages null", "version: 1\nstages:\n", "p.yaml:2:1: stages is empty (declare at least one stage)"},
		{"stages {}", "stages: {}\n", "p.yaml:1:9: stages is empty (declare at least one stage)"},
		{"stages a list", "stages: [a]\n", "p.yaml:1:9: stages must be a mapping, got a list"},
		{"unknown top key", "version: 1\nstagse:\n  a:\n" + ok,
			`p.yaml:2:1: unknown key "stagse" in the pipeline (did you mean "stages"?)`},
		{"unknown top key, no suggestion", "name: x\nstages:\n  a:\n" + ok, `p.yaml:1:1: unknown key "name" in the pipeline`},
		{"unsupported version", "version: 2\nstages:\n  a:\n" + ok, `p.yaml:1:10: unsupported version "2" (this stagebuild reads version 1)`},
		{"invalid arg name", "args:\n  1X: y\nstages:\n  a:\n" + ok, `p.yaml:2:3: invalid arg name "1X" (use letters, digits and _)`},
		{"invalid stage name", "stages:\n  App:\n" + ok, `p.yaml:2:3: invalid stage name "App" (use lowercase letters, digits, - and _)`},
		{"unknown stage key", "stages:\n  a:\n" + ok + "    workdri: /app\n",
			`p.yaml:4:5: unknown key "workdri" in stage "a" (did you mean "workdir"?)`},
		{"unknown copy key", "stages:\n  a:\n" + ok + "    copy:\n      - {src: a, dest: b}\n",
			`p.yaml:5:18: unknown key "dest" in an entry of copy of stage "a"`},
		{"duplicate stage", "stages:\n  a:\n" + ok + "  a:\n" + ok,
			`p.yaml:4:3: duplicate stage "a" (first declared at 2:3; rename one of them)`},
		{"duplicate key", "stages:\n  a:\n" + ok + "    workdir: /a\n    workdir: /b\n",
			`p.yaml:5:5: duplicate key "workdir" in stage "a" (first set at 4:5)`},
		{"empty stage", "stages:\n  a:\n", `p.yaml:2:3: stage "a" is empty (give it at least from:)`},
		{"stage a list", "stages:\n  a: [x]\n", `p.yaml:2:6: stage "a" must be a mapping, got a list`},
		{"no from", "stages:\n  a:\n    workdir: /app\n",
			`p.yaml:2:3: stage "a" has no from: (name a base image such as python:3.11-slim-bookworm, or another stage)`},
		{"from a list", "stages:\n  a:\n    from: [alpine]\n", `p.yaml:3:11: from of stage "a" must be a string, got a list`},
		{"unknown stage in from", "stages:\n  deps:\n" + ok + "  b:\n    from: dep\n",
			`p.yaml:5:11: from of stage "b": unknown stage "dep" (did you mean "deps"? for an image, add a tag: dep:latest)`},
		{"uppercase image", "stages:\n  a:\n    from: Alpine:3\n",
			`p.yaml:3:11: from of stage "a": invalid image reference "Alpine:3": invalid reference format: repository name (library/Alpine) must be lowercase`},
		{"cycle of two", "stages:\n  a:\n    from: b\n  b:\n    from: a\n",
			"p.yaml:3:11: stages form a cycle through from: a → b → a (one of them must start from an image)"},
		{"cycle of three", "stages:\n  a:\n    from: c\n  b:\n    from: a\n  c:\n    from: b\n",
			"p.yaml:3:11: stages form a cycle through from: a → c → b → a (one of them must start from an image)"},
		{"cycle behind a root", "stages:\n  a:\n" + ok + "  b:\n    from: c\n  c:\n    from: b\n",
			"p.yaml:5:11: stages form a cycle through from: b → c → b (one of them must start from an image)"},
		{"self cycle", "stages:\n  a:\n    from: a\n",
			"p.yaml:3:11: stages form a cycle through from: a → a (one of them must start from an image)"},
		{"unknown arg in from", "stages:\n  a:\n    from: ${IMG}\n",
			`p.yaml:3:11: unknown arg ${IMG} in from of stage "a" (declare it under args:)`},
		{"misspelt arg in from", "args:\n  IMAGE: alpine:3\nstages:\n  a:\n    from: ${IMAG}\n",
			`p.yaml:5:11: unknown arg ${IMAG} in from of stage "a" (did you mean ${IMAGE}? otherwise declare it under args:)`},
		{"unknown arg in label", "stages:\n  a:\n" + ok + "    labels:\n      v: ${VERSION}\n",
			`p.yaml:5:10: unknown arg ${VERSION} in labels of stage "a" (declare it under args:)`},
		{"gated_by unknown", "stages:\n  tests:\n" + ok + "    test: 'true'\n  svc:\n" + ok + "    gated_by: [test]\n",
			`p.yaml:7:16: gated_by of stage "svc": unknown stage "test" (did you mean "tests"?)`},
		{"gated_by not a test", "stages:\n  b:\n" + ok + "  svc:\n" + ok + "    gated_by: [b]\n",
			`p.yaml:6:16: gated_by of stage "svc": stage "b" is not a test stage (give it a test: command, or remove it from gated_by)`},
		{"gated_by itself", "stages:\n  a:\n" + ok + "    test: 'true'\n    gated_by: [a]\n",
			`p.yaml:5:16: gated_by of stage "a": a stage cannot gate itself`},
		{"relative workdir", "stages:\n  a:\n" + ok + "    workdir: app\n",
			`p.yaml:4:14: workdir of stage "a" must be an absolute path, got "app"`},
		{"copy escapes", "stages:\n  a:\n" + ok + "    copy: [../x]\n",
			`p.yaml:4:12: copy of stage "a": "../x" is outside the build context (use a path relative to the pipeline's directory)`},
		{"copy escapes after clean", "stages:\n  a:\n" + ok + "    copy: [app/../../x]\n",
			`p.yaml:4:12: copy of stage "a": "app/../../x" is outside the build context (use a path relative to the pipeline's directory)`},
		{"copy absolute", "stages:\n  a:\n" + ok + "    copy:\n      - src: /etc/passwd\n",
			`p.yaml:5:14: copy of stage "a": "/etc/passwd" is outside the build context (use a path relative to the pipeline's directory)`},
		{"copy without src", "stages:\n  a:\n" + ok + "    copy:\n      - to: /x\n",
			`p.yaml:5:9: an entry of copy of stage "a" has no src: (name a path in the build context, or a url: to fetch)`},
		{"copy a string", "stages:\n  a:\n" + ok + "    copy: app\n", `p.yaml:4:11: copy of stage "a" must be a list of paths, got a scalar`},
		{"relative cache", "stages:\n  a:\n" + ok + "    cache: [.cache/pip]\n",
			`p.yaml:4:13: cache of stage "a": ".cache/pip" must be an absolute path such as /root/.cache/pip`},
		{"bad expose", "stages:\n  a:\n" + ok + "    expose: [http]\n",
			`p.yaml:4:14: expose of stage "a": "http" is not a port (write 3000 or 3000/tcp)`},
		{"run a mapping", "stages:\n  a:\n" + ok + "    run:\n      cmd: x\n",
			`p.yaml:5:7: run of stage "a" must be a command or a list of commands, got a mapping`},
		{"empty run entry", "stages:\n  a:\n" + ok + "    run: [[]]\n", `p.yaml:4:11: each entry of run of stage "a" is an empty command`},
		{"empty test", "stages:\n  a:\n" + ok + "    test: ''\n", `p.yaml:4:11: test of stage "a" is an empty command`},
		{"env a list", "stages:\n  a:\n" + ok + "    env: [A=1]\n", `p.yaml:4:10: env of stage "a" must be a mapping, got a list`},
		{"bad env name", "stages:\n  a:\n" + ok + "    env:\n      1A: x\n",
			`p.yaml:5:7: invalid env name "1A" in env of stage "a" (use letters, digits and _)`},
		{"unknown default", "default: servcie\nstages:\n  service:\n" + ok,
			`p.yaml:1:10: default target "servcie" is not a stage (did you mean "service"?)`},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatalf("duplicate case name")
			}
			seen[tc.name] = true
			p, err := Parse("p.yaml", []byte(tc.yaml), nil)
			if err == nil {
				t.Fatalf("Parse succeeded (%d stages), want\n%s", len(p.Stages), tc.want)
			}
			if _, isPipelineErr := err.(*Error); !isPipelineErr {
				t.Errorf("error is %T, want *pipeline.Error", err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("\ngot:  %s\nwant: %s", got, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines")
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/nope.yaml", nil)
	const want = "testdata/nope.yaml: no such file (create one, or pass -f FILE)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if _, ok := err.(*Error); !ok {
		t.Errorf("error is %T, want *pipeline.Error so the CLI exits 2", err)
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"deps", "test_deps", "service"}
	for name, want := range map[string]string{"dep": "deps", "servcie": "service", "SERVICE": "service", "web": "", "dp": ""} {
		if got := Suggest(name, cands); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestDuplicatesInLargeMappings: past smallMapping keys, pairs finds
// duplicates through a map, with the same errors.
func TestDuplicatesInLargeMappings(t *testing.T) {
	var stages, env strings.Builder
	stages.WriteString("stages:\n")
	env.WriteString("stages:\n  a:\n    from: busybox:latest\n    env:\n")
	for i := range 20 {
		fmt.Fprintf(&stages, "  s%d: {from: busybox:latest}\n", i)
		fmt.Fprintf(&env, "      V%d: x\n", i)
	}
	stages.WriteString("  s3: {from: busybox:latest}\n")
	env.WriteString("      V3: y\n")
	for _, c := range []struct{ data, want string }{
		{stages.String(), `p.yaml:22:3: duplicate stage "s3" (first declared at 5:3; rename one of them)`},
		{env.String(), `p.yaml:25:7: duplicate key "V3" in env of stage "a" (first set at 8:7)`},
	} {
		_, err := Parse("p.yaml", []byte(c.data), nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse: %v, want %s", err, c.want)
		}
	}
}

// TestNameSpecs: envName and stageName match what their regular
// expressions match.
func TestNameSpecs(t *testing.T) {
	res := map[string]*regexp.Regexp{
		"env":   regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`),
		"stage": regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`),
	}
	specs := map[string]nameSpec{"env": envName, "stage": stageName}
	words := []string{"", "a", "A", "_", "0", "-", "V0", "PYTHON3_PATH", "a-b", "a_b", "0a", "_0", "-a", "a b", "é", "aé", "a\n", "Z9", "z-9_"}
	for c := 0; c < 128; c++ {
		words = append(words, string(rune(c)), "a"+string(rune(c)), string(rune(c))+"a")
	}
	for name, re := range res {
		for _, w := range words {
			if got, want := specs[name].MatchString(w), re.MatchString(w); got != want {
				t.Errorf("%s name %q: %v, want %v", name, w, got, want)
			}
		}
	}
}
