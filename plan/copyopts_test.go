package plan

import (
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/stagebuild/stagebuild/pipeline"
)

// TestPlanCopyOptions: chown, chmod and exclude are carried in the copy
// step, keep the copy out of a shared layer, and key the step's definition.
func TestPlanCopyOptions(t *testing.T) {
	const y = `
stages:
  a:
    from: alpine:3
    workdir: /app
    copy:
      - {src: app, chown: "1000:1000", chmod: 644, exclude: ["*.pyc"]}
  b:
    from: alpine:3
    workdir: /app
    copy: [app]
  c:
    from: alpine:3
    workdir: /app
    copy: [app]
`
	p, err := pipeline.Parse("p.yaml", []byte(y), nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := planFor(t, p, fstest.MapFS{}, "a", "b", "c")
	want := Step{Kind: StepCopy, Src: "app", Dest: "app", Chown: "1000:1000", Chmod: "0644", Exclude: []string{"*.pyc"}, Source: "p.yaml:7:9"}
	if got := plan.Stage("a").Steps; !reflect.DeepEqual(got, []Step{want}) {
		t.Errorf("a steps =\n%+v\nwant\n%+v", got, []Step{want})
	}
	if !plan.Stage("b").Steps[0].SharedLayer || !plan.Stage("c").Steps[0].SharedLayer {
		t.Errorf("b and c copy app to /app/app: want shared layers, got %+v %+v", plan.Stage("b").Steps, plan.Stage("c").Steps)
	}
	base := Base{Image: "alpine:3"}
	eff := Config{Workdir: "/app"}
	d := stepDefDigest(base, eff, "", want)
	for name, change := range map[string]func(s *Step){
		"chown":   func(s *Step) { s.Chown = "0:0" },
		"chmod":   func(s *Step) { s.Chmod = "0600" },
		"exclude": func(s *Step) { s.Exclude = nil },
	} {
		s := want
		change(&s)
		if stepDefDigest(base, eff, "", s) == d {
			t.Errorf("a changed %s keeps the step's definition digest", name)
		}
	}
}

// TestPlanCopyFrom: a copy from a stage names it, reads no context, keeps
// its place before the runs, and rebuilds when that stage rebuilds.
func TestPlanCopyFrom(t *testing.T) {
	p, err := pipeline.Parse("p.yaml", []byte(`
stages:
  build:
    from: alpine:3
    copy: [src]
    run: make
  app:
    from: alpine:3
    workdir: /app
    copy:
      - {src: /out/wheels, to: /wheels, from: build}
      - requirements.txt
    run: pip install /wheels/*.whl -r requirements.txt
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := planFor(t, p, fstest.MapFS{}, "app")
	want := []Step{
		{Kind: StepCopy, Src: "requirements.txt", Dest: "requirements.txt", Source: "p.yaml:12:9"},
		{Kind: StepCopy, Src: "/out/wheels", Dest: "/wheels", From: "build", Source: "p.yaml:11:9"},
		{Kind: StepRun, Args: []string{"pip install /wheels/*.whl -r requirements.txt"}, Shell: true, Source: "p.yaml:13:10",
			CacheMounts: []CacheMount{{Target: "/root/.cache/pip", ID: "stagebuild:/root/.cache/pip"}}},
	}
	if got := plan.Stage("app").Steps; !reflect.DeepEqual(got, want) {
		t.Errorf("app steps =\n%+v\nwant\n%+v", got, want)
	}
	if names := []string{plan.Stages[0].Name, plan.Stages[1].Name}; !reflect.DeepEqual(names, []string{"build", "app"}) {
		t.Errorf("stage order %q", names)
	}
	if want := []string{"requirements.txt", "src"}; !reflect.DeepEqual(plan.Context.Includes, want) {
		t.Errorf("includes = %q, want %q", plan.Context.Includes, want)
	}
	got := Explain(plan, []Change{{Kind: ChangeFile, Path: "src/main.c", Detail: "changed"}})
	wantR := []Rebuild{{Stage: "build", FromStep: 0, Reason: "src/main.c changed"},
		{Stage: "app", FromStep: 1, Reason: "copies from stage build, which rebuilds"}}
	if !reflect.DeepEqual(got, wantR) {
		t.Errorf("Explain = %+v, want %+v", got, wantR)
	}
}
