package targets

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/pipeline"
)

func example(t *testing.T) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Load("testdata/seed000.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func parse(t *testing.T, text string) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Parse("p.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// noDefault has a service stage but no default: key, and two gated images
// that share a gate.
const noDefault = `
stages:
  base:
    from: alpine:3
  check:
    from: base
    test: "true"
  lint:
    from: alpine:3
    test: "true"
  service:
    from: base
    gated_by: [check, lint]
  worker:
    from: service
    gated_by: [check]
`

func TestResolve(t *testing.T) {
	ex := example(t)
	nd := parse(t, noDefault)
	tests := []struct {
		name      string
		p         *pipeline.Pipeline
		requested []string
		want      Resolution
	}{
		{"example default (default: service)", ex, nil, Resolution{
			Targets: []Target{{"service", []string{"tests"}}},
			Stages:  []string{"deps", "builder", "service", "test_deps", "tests_builder", "tests"},
			Gates:   []string{"tests"},
		}},
		{"ungated target", ex, []string{"localdev"}, Resolution{
			Targets: []Target{{"localdev", nil}},
			Stages:  []string{"deps", "test_deps", "tests_builder", "localdev"},
		}},
		{"a gate as target", ex, []string{"tests"}, Resolution{
			Targets: []Target{{"tests", nil}},
			Stages:  []string{"deps", "test_deps", "tests_builder", "tests"},
		}},
		{"several targets share stages", ex, []string{"localdev", "service"}, Resolution{
			Targets: []Target{{"localdev", nil}, {"service", []string{"tests"}}},
			Stages:  []string{"deps", "test_deps", "tests_builder", "localdev", "builder", "service", "tests"},
			Gates:   []string{"tests"},
		}},
		{"repeated target counted once", ex, []string{"builder", "builder"}, Resolution{
			Targets: []Target{{"builder", nil}},
			Stages:  []string{"deps", "builder"},
		}},
		{"no default: key falls back to service", nd, nil, Resolution{
			Targets: []Target{{"service", []string{"check", "lint"}}},
			Stages:  []string{"base", "service", "check", "lint"},
			Gates:   []string{"check", "lint"},
		}},
		{"gates per target, shared gate listed once", nd, []string{"worker", "service"}, Resolution{
			Targets: []Target{{"worker", []string{"check"}}, {"service", []string{"check", "lint"}}},
			Stages:  []string{"base", "service", "worker", "check", "lint"},
			Gates:   []string{"check", "lint"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Resolve(tc.p, tc.requested)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*r, tc.want) {
				t.Errorf("Resolve(%q) =\n%+v\nwant\n%+v", tc.requested, *r, tc.want)
			}
			checkOrder(t, tc.p, r.Stages)
		})
	}
}

// checkOrder asserts that every stage comes after its from-stage, once.
func checkOrder(t *testing.T, p *pipeline.Pipeline, stages []string) {
	t.Helper()
	at := map[string]int{}
	for i, s := range stages {
		if _, dup := at[s]; dup {
			t.Errorf("stage %s listed twice in %v", s, stages)
		}
		at[s] = i
	}
	for i, s := range stages {
		if from := p.Stage(s).FromStage; from != "" {
			if j, ok := at[from]; !ok || j > i {
				t.Errorf("%s (from %s) is not after its base in %v", s, from, stages)
			}
		}
	}
}

func TestResolveDeclaredDefault(t *testing.T) {
	p := parse(t, "default: tool\n"+noDefault+"  tool:\n    from: base\n")
	r, err := Resolve(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Target{{Stage: "tool"}}; !reflect.DeepEqual(r.Targets, want) {
		t.Errorf("targets = %+v, want %+v", r.Targets, want)
	}
}

func TestResolveUnknown(t *testing.T) {
	ex := example(t)
	const valid = "; valid targets: deps, test_deps, builder, tests_builder, tests, localdev, service"
	tests := []struct {
		name      string
		p         *pipeline.Pipeline
		requested []string
		want      string
	}{
		{"typo", ex, []string{"servcie"}, `unknown target "servcie" (did you mean "service"?)` + valid},
		{"no suggestion", ex, []string{"web"}, `unknown target "web"` + valid},
		{"after a good one", ex, []string{"service", "localdv"}, `unknown target "localdv" (did you mean "localdev"?)` + valid},
		{"missing implicit service", parse(t, "stages:\n  app:\n    from: alpine:3\n"), nil,
			`unknown target "service"; valid targets: app`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Resolve(tc.p, tc.requested)
			if err == nil {
				t.Fatalf("Resolve succeeded: %+v", r)
			}
			if err.Error() != tc.want {
				t.Errorf("\ngot:  %s\nwant: %s", err, tc.want)
			}
			if _, ok := err.(*UnknownTargetError); !ok {
				t.Errorf("error is %T, want *UnknownTargetError", err)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	got := Describe(example(t))
	want := []Description{
		{Stage: "deps", From: "python:3.11-slim-bookworm", Kind: "image"},
		{Stage: "test_deps", From: "deps", Kind: "image"},
		{Stage: "builder", From: "deps", Kind: "image"},
		{Stage: "tests_builder", From: "test_deps", Kind: "image"},
		{Stage: "tests", From: "tests_builder", Kind: "gate"},
		{Stage: "localdev", From: "tests_builder", Kind: "image"},
		{Stage: "service", From: "builder", Kind: "image", GatedBy: []string{"tests"}, Default: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe =\n%+v\nwant\n%+v", got, want)
	}
}

// fromGate builds images on gates, directly and through another stage; the
// gates guard them though no gated_by names them (issue 13, item 1).
const fromGate = `
stages:
  tests:
    from: busybox:latest
    test: "false"
  lint:
    from: busybox:latest
    test: "true"
  release:
    from: tests
  bundle:
    from: release
    gated_by: [lint]
  tests2:
    from: tests
    test: "true"
`

func TestResolveImplicitGuardFromGate(t *testing.T) {
	p := parse(t, fromGate)
	tests := []struct {
		requested []string
		want      []Target
		gates     []string
	}{
		{[]string{"release"}, []Target{{"release", []string{"tests"}}}, []string{"tests"}},
		{[]string{"bundle"}, []Target{{"bundle", []string{"lint", "tests"}}}, []string{"lint", "tests"}},
		{[]string{"tests2"}, []Target{{"tests2", []string{"tests"}}}, []string{"tests"}},
		{[]string{"tests"}, []Target{{"tests", nil}}, nil},
	}
	for _, tc := range tests {
		r, err := Resolve(p, tc.requested)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Targets, tc.want) || !reflect.DeepEqual(r.Gates, tc.gates) {
			t.Errorf("Resolve(%q): targets %+v gates %q, want %+v gates %q", tc.requested, r.Targets, r.Gates, tc.want, tc.gates)
		}
		checkOrder(t, p, r.Stages)
	}
	var got []string
	for _, d := range Describe(p) {
		got = append(got, d.Stage+"="+strings.Join(d.GatedBy, ","))
	}
	want := "tests= lint= release=tests bundle=lint,tests tests2=tests"
	if strings.Join(got, " ") != want {
		t.Errorf("Describe guards = %q, want %q", strings.Join(got, " "), want)
	}
}
