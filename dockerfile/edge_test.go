package dockerfile

import (
	"slices"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/plan"
)

const forms = `
version: 1
default: app
stages:
  base:
    from: busybox:latest
    workdir: /work dir
    env:
      A: "x y"
      B: '${A}/$A-$ "q" \ ${A:-d}'
    copy: [{src: "my file.txt", to: /data/}, {src: src, to: /src}]
    run:
      - [sh, -c, 'echo "$B" > /out']
      - |
        echo one
        echo two
      - "[ -f /out ] && echo ok"
      - 'cat <<EOF'
      - "echo trailing \\"
  app:
    from: base
    user: "app user"
    labels: {"a b": 'c "d" $e'}
    cmd: [serve]
`

func TestForms(t *testing.T) {
	pl := parsePipeline(t, forms)
	_, _, stages := generate(t, pl, Options{Pipeline: "p.yaml", Last: "app"})
	st := byName(stages)
	base := st["base"]
	if got := base.rests("WORKDIR"); !slices.Equal(got, []string{`"/work dir"`}) {
		t.Errorf("WORKDIR %q", got)
	}
	// ${A} and $A expand from the env; "$ " stays literal; ${A:-d} expands
	// to nothing in stagebuild (no such env name), so it is dropped.
	want := []string{`A="x y"`, `B="${A}/${A}-\$ \"q\" \\ "`}
	if got := base.rests("ENV"); !slices.Equal(got, want) {
		t.Errorf("ENV\n%q\nwant\n%q", got, want)
	}
	copies := base.all("COPY")
	if len(copies) != 2 || copies[0].Rest != `["my file.txt", "/data/"]` && copies[0].Rest != `["my file.txt","/data/"]` {
		t.Errorf("COPY of a path with a space: %+v", copies)
	}
	if len(copies) == 2 && (copies[1].Rest != "src /src" || len(copies[1].Flags) == 0) {
		t.Errorf("COPY of a directory with no context to stat: %+v", copies[1])
	}
	runs := base.all("RUN")
	if len(runs) != 5 {
		t.Fatalf("RUN %+v", runs)
	}
	if runs[0].Rest != `["sh","-c","echo \"$B\" > /out"]` {
		t.Errorf("exec form: %s", runs[0].Rest)
	}
	for i, body := range map[int]string{1: "echo one\necho two\n\n", 2: "[ -f /out ] && echo ok\n", 3: "cat <<EOF\n", 4: "echo trailing \\\n"} {
		if !strings.HasPrefix(runs[i].Rest, "<<'STAGEBUILD_EOF") || runs[i].Body != body {
			t.Errorf("RUN %d: %q with body %q, want a heredoc of %q", i, runs[i].Rest, runs[i].Body, body)
		}
	}
	app := st["app"]
	if got := app.rests("USER"); !slices.Equal(got, []string{`"app user"`}) {
		t.Errorf("USER %q", got)
	}
	if got := app.rests("LABEL"); !slices.Equal(got, []string{`"a b"="c \"d\" \$e"`}) {
		t.Errorf("LABEL %q", got)
	}
	if got := app.rests("CMD"); !slices.Equal(got, []string{`["serve"]`}) || len(app.all("ENTRYPOINT")) != 0 {
		t.Errorf("CMD %q", got)
	}
}

func TestGateOrderAndAdvisory(t *testing.T) {
	pl := parsePipeline(t, `
version: 1
stages:
  service:
    from: alpine:3
    gated_by: [unit, style]
  unit:
    from: alpine:3
    test: "true"
  style:
    from: alpine:3
    test: [ruff, check]
    allow_failure: true
`, "service")
	_, _, stages := generate(t, pl, Options{Last: "service"})
	if names := stageNames(stages); !slices.Equal(names, []string{"unit", "style", "service"}) {
		t.Fatalf("order %q: gates must come before the stage that mounts them", names)
	}
	st := byName(stages)
	runs := st["service"].all("RUN")
	if len(runs) != 1 || !slices.Equal(runs[0].Flags, []string{"--mount=type=bind,from=unit,target=/tmp/stagebuild-gate-unit"}) {
		t.Errorf("service mounts %+v; want only the blocking gate unit", runs)
	}
	if !hasComment(st["service"], "Advisory gates style") || !hasComment(st["style"], "allow_failure") {
		t.Errorf("no advisory comments: %q / %q", st["service"].Comments, st["style"].Comments)
	}
	if r := st["style"].all("RUN"); len(r) != 1 || r[0].Rest != `["ruff","check"]` {
		t.Errorf("style RUN %+v", r)
	}
}

func TestLastGoesLastWhenItCan(t *testing.T) {
	pl := parsePipeline(t, `
version: 1
stages:
  a: {from: alpine:3}
  service: {from: a}
  b: {from: a}
  worker: {from: service}
`)
	_, _, stages := generate(t, pl, Options{Last: "b"})
	if names := stageNames(stages); names[len(names)-1] != "b" {
		t.Errorf("b is not last: %q", names)
	}
	_, _, stages = generate(t, pl, Options{Last: "service"})
	if names := stageNames(stages); !slices.Equal(names, []string{"a", "b", "service", "worker"}) {
		t.Errorf("order %q: service goes as late as worker, built from it, allows", names)
	}
}

// File steps, secrets and SSH agents have Dockerfile forms.
func TestFileStepsAndSecrets(t *testing.T) {
	pl := parsePipeline(t, "version: 1\nstages:\n  app:\n    from: alpine:3\n    workdir: /app\n    run: make\n")
	st := &pl.Stages[0]
	st.Steps = append([]plan.Step{
		{Kind: plan.StepFile, Dest: "requirements.lock.txt", Content: "a==1\nSTAGEBUILD_EOF\n", Source: "p.yaml:1:1"},
		{Kind: plan.StepFile, Dest: "/etc/empty", Source: "p.yaml:1:1"},
	}, st.Steps...)
	st.Steps[2].Secrets = []plan.SecretMount{{ID: "token", Env: "TOKEN"}, {ID: "netrc", Target: "/root/.netrc", Optional: true}}
	st.Steps[2].SSH = []string{"default"}
	_, _, stages := generate(t, pl, Options{})
	copies := stages[0].all("COPY")
	if len(copies) != 2 || copies[0].Rest != "<<'STAGEBUILD_EOF_1' requirements.lock.txt" || copies[0].Body != "a==1\nSTAGEBUILD_EOF\n" ||
		copies[1].Rest != "<<'STAGEBUILD_EOF' /etc/empty" || copies[1].Body != "" || len(copies[0].Flags) != 0 {
		t.Errorf("file steps %+v", copies)
	}
	if !hasComment(stages[0], "Build with: --secret id=token --secret id=netrc --ssh default") {
		t.Errorf("no comment on the secrets: %q", stages[0].Comments)
	}
	run := stages[0].all("RUN")[0]
	want := []string{"--mount=type=secret,id=token,env=TOKEN,required=true", "--mount=type=secret,id=netrc,target=/root/.netrc,mode=0444",
		"--mount=type=ssh,id=default,required=true"}
	if !slices.Equal(run.Flags, want) || run.Rest != "make" {
		t.Errorf("RUN with secrets %+v, want flags %q", run, want)
	}
}

func stageNames(stages []*dfStage) []string {
	var out []string
	for _, s := range stages {
		out = append(out, s.Name)
	}
	return out
}

func TestErrors(t *testing.T) {
	selfGated := parsePipeline(t, `
version: 1
stages:
  service:
    from: alpine:3
    gated_by: [smoke]
  smoke:
    from: service
    test: ./smoke.sh
`, "service")
	unknown := parsePipeline(t, "version: 1\nstages:\n  app:\n    from: alpine:3\n    run: make\n")
	unknown.Stages[0].Steps = append(unknown.Stages[0].Steps, plan.Step{Kind: "symlink", Dest: "/etc/x", Source: "p.yaml:9:5"})
	noNewline := parsePipeline(t, "version: 1\nstages:\n  app:\n    from: alpine:3\n")
	noNewline.Stages[0].Steps = []plan.Step{{Kind: plan.StepFile, Dest: "x.txt", Content: "no newline", Source: "p.yaml:3:3"}}
	digit := parsePipeline(t, "version: 1\nstages:\n  1app:\n    from: alpine:3\n")
	badEnv := parsePipeline(t, "version: 1\nstages:\n  app:\n    from: alpine:3\n    env: {A: \"a\\nb\"}\n")
	badCache := parsePipeline(t, "version: 1\nstages:\n  app:\n    from: alpine:3\n    run: make\n    cache: [\"/my cache\"]\n")
	for name, c := range map[string]struct {
		pl   *plan.Plan
		want string
	}{
		"gate built from the image it guards": {selfGated, "stage service is gated by smoke, which is built from service: a Dockerfile stage cannot wait for a gate built on top of it"},
		"unknown step kind":                   {unknown, `stage app: step 2 (p.yaml:9:5): step kind "symlink" has no Dockerfile translation`},
		"file without a final newline":        {noNewline, "stage app: step 1 (p.yaml:3:3): file step x.txt: content that does not end with a newline cannot be written"},
		"stage name starting with a digit":    {digit, `stage 1app: "1app" is not a valid Dockerfile stage name`},
		"line break in env":                   {badEnv, "stage app: env A: a Dockerfile ENV cannot hold a line break"},
		"space in a cache mount":              {badCache, `mount target "/my cache": a Dockerfile --mount value cannot`},
	} {
		_, err := Generate(c.pl, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}
