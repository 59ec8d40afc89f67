package build_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/containerd/platforms"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/internal/fakebk"
	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

// gatedPipeline: service is guarded by a blocking gate (tests) and an
// advisory one (lint); localdev is guarded by nothing.
const gatedPipeline = `version: 1
default: service
stages:
  base:
    from: busybox:latest
    copy: [app.txt]
  tests:
    from: base
    test: run-the-unit-tests
  lint:
    from: base
    allow_failure: true
    test: run-the-linter
  service:
    from: base
    gated_by: [tests, lint]
  localdev:
    from: base
`

// gatedBuild is a build of gatedPipeline's requested targets, each
// exported as type=oci to out/<target>.tar.
type gatedBuild struct {
	dir  string
	opts build.Options
}

func newGatedBuild(t *testing.T, requested ...string) *gatedBuild {
	t.Helper()
	t.Setenv("STAGEBUILD_HOME", t.TempDir()) // outputs are recorded there
	dir := t.TempDir()
	file := filepath.Join(dir, pipeline.DefaultFile)
	if err := os.WriteFile(file, []byte(gatedPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.txt"), []byte("app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := targets.Resolve(p, requested)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Make(p, res, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string][]buildflags.Output{}
	for _, target := range requested {
		o, err := buildflags.ParseOutput("type=oci,dest=" + filepath.Join(dir, "out", target+".tar"))
		if err != nil {
			t.Fatal(err)
		}
		o.Target = target
		outputs[target] = []buildflags.Output{o}
	}
	return &gatedBuild{dir: dir, opts: build.Options{
		Plan: pl, ContextDir: dir, Outputs: outputs, Progress: "quiet", ProgressOut: io.Discard, Stdout: io.Discard,
		Platform: platforms.Normalize(platforms.DefaultSpec()), ReportsDir: filepath.Join(dir, "reports"),
	}}
}

func (g *gatedBuild) run(t *testing.T, fake *fakebk.BuildKit) (*build.Result, error) {
	t.Helper()
	return build.Run(t.Context(), fake, g.opts)
}

// runGated builds the requested targets once, with a fake BuildKit whose
// gates exit as exits says.
func runGated(t *testing.T, exits map[string]int, requested ...string) (*fakebk.BuildKit, string, *build.Result, error) {
	t.Helper()
	g := newGatedBuild(t, requested...)
	fake := &fakebk.BuildKit{Exits: exits}
	res, err := g.run(t, fake)
	return fake, filepath.Join(g.dir, "out"), res, err
}

func outFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A failed blocking gate returns no result for the image it guards: no
// exporter runs, nothing is written (no temporary file either), and the
// error names the gate and the withheld target.
func TestFailedGateExportsNothing(t *testing.T) {
	fake, out, res, err := runGated(t, map[string]int{"run-the-unit-tests": 1}, "service")
	var ge *build.GateError
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v (%T), want a *build.GateError", err, err)
	}
	want := `gate "tests" failed: run-the-unit-tests exited with code 1; nothing was exported for service`
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
	if got := fake.Exports(); len(got) != 0 {
		t.Errorf("exporters ran after a failed gate: %v", got)
	}
	if files := outFiles(t, out); len(files) != 0 {
		t.Errorf("out/ holds %q after a failed gate", files)
	}
	if res == nil || len(res.Targets) != 1 || len(res.Targets[0].Exported) != 0 || res.Targets[0].Digest != "" {
		t.Errorf("result = %+v, want service with nothing exported", res)
	}
	if len(res.Gates) != 2 || res.Gates[1].Gate != "tests" || res.Gates[1].Passed || res.Gates[1].ExitCode != 1 {
		t.Errorf("gates = %+v", res.Gates)
	}
}

// A target the failed gate does not guard is exported beside the one it
// withholds.
func TestFailedGateBlocksOnlyWhatItGuards(t *testing.T) {
	fake, out, res, err := runGated(t, map[string]int{"run-the-unit-tests": 1}, "service", "localdev")
	var ge *build.GateError
	if !errors.As(err, &ge) || !reflect.DeepEqual(ge.Blocked, []string{"service"}) {
		t.Fatalf("err = %v, want a gate error blocking service only", err)
	}
	if got := fake.Exports(); !reflect.DeepEqual(got, [][]string{{"oci"}}) {
		t.Errorf("exports = %v, want localdev's oci only", got)
	}
	if files := outFiles(t, out); !reflect.DeepEqual(files, []string{"localdev.tar"}) {
		t.Errorf("out/ holds %q, want localdev.tar only", files)
	}
	if len(res.Targets) != 2 || len(res.Targets[0].Exported) != 0 || len(res.Targets[1].Exported) != 1 {
		t.Errorf("targets = %+v", res.Targets)
	}
}

// An advisory gate's failure is reported and blocks nothing.
func TestAdvisoryGateDoesNotBlock(t *testing.T) {
	fake, out, res, err := runGated(t, map[string]int{"run-the-linter": 1}, "service")
	if err != nil {
		t.Fatalf("advisory failure: %v", err)
	}
	if got := fake.Exports(); !reflect.DeepEqual(got, [][]string{{"oci"}}) {
		t.Errorf("exports = %v, want one oci export", got)
	}
	if files := outFiles(t, out); !reflect.DeepEqual(files, []string{"service.tar"}) {
		t.Errorf("out/ holds %q", files)
	}
	lint := res.Gates[0]
	if lint.Gate != "lint" || lint.Passed || !lint.Advisory || lint.Blocking() {
		t.Errorf("lint = %+v, want a failed advisory gate that does not block", lint)
	}
}

// Every gate passing returns the image: it is exported, with its digest.
func TestPassingGatesReturnTheImage(t *testing.T) {
	fake, out, res, err := runGated(t, nil, "service")
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.Exports(); !reflect.DeepEqual(got, [][]string{{"oci"}}) {
		t.Errorf("exports = %v", got)
	}
	data, err := os.ReadFile(filepath.Join(out, "service.tar"))
	if err != nil || string(data) != "fake image\n" {
		t.Errorf("service.tar = %q, %v", data, err)
	}
	tr := res.Targets[0]
	if tr.Stage != "service" || tr.Digest != fakebk.Digest || !reflect.DeepEqual(tr.Exported, []string{filepath.Join(out, "service.tar")}) {
		t.Errorf("target = %+v", tr)
	}
	for _, g := range res.Gates {
		if !g.Passed || g.Blocking() {
			t.Errorf("gate %+v", g)
		}
	}
}

func TestGateResultBlocking(t *testing.T) {
	for _, tc := range []struct {
		passed, advisory, want bool
	}{{true, false, false}, {true, true, false}, {false, true, false}, {false, false, true}} {
		g := &build.GateResult{Passed: tc.passed, Advisory: tc.advisory}
		if got := g.Blocking(); got != tc.want {
			t.Errorf("passed=%v advisory=%v: Blocking() = %v", tc.passed, tc.advisory, got)
		}
	}
}

// infraExit is how a gate's test step fails when its output shows an
// infrastructure failure (llbgen.InfraExit).
var infraExit = &gwpb.ExitError{ExitCode: llbgen.InfraExit,
	Err: errors.New(`process "/bin/sh -c ..." did not complete successfully: exit code: 86`)}

// A blocking gate whose test failed for an infrastructure reason gives no
// verdict: the build fails with that reason and exports nothing.
func TestInfraFailureIsNoVerdict(t *testing.T) {
	g := newGatedBuild(t, "service")
	fake := &fakebk.BuildKit{Errors: map[string]error{"run-the-unit-tests": infraExit}}
	res, err := g.run(t, fake)
	var ie *build.InfraError
	if !errors.As(err, &ie) || errors.As(err, new(*build.GateError)) {
		t.Fatalf("error %T %v, want an InfraError and no gate verdict", err, err)
	}
	want := `gate "tests": its test failed for an infrastructure reason, which is not a verdict and was not cached (the next build runs it again)`
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
	if got := fake.Exports(); len(got) != 0 {
		t.Errorf("exports = %v, want none", got)
	}
	if files := outFiles(t, filepath.Join(g.dir, "out")); len(files) != 0 {
		t.Errorf("out/ holds %q", files)
	}
	for _, r := range res.Gates {
		if r.Gate == "tests" {
			t.Errorf("a verdict was recorded for tests: %+v", r)
		}
	}
}

// An advisory gate's infrastructure failure blocks nothing either; its
// result says why it has no verdict.
func TestAdvisoryInfraFailureDoesNotBlock(t *testing.T) {
	g := newGatedBuild(t, "service")
	fake := &fakebk.BuildKit{Errors: map[string]error{"run-the-linter": infraExit}}
	res, err := g.run(t, fake)
	if err != nil {
		t.Fatalf("advisory infrastructure failure: %v", err)
	}
	if got := fake.Exports(); !reflect.DeepEqual(got, [][]string{{"oci"}}) {
		t.Errorf("exports = %v, want one oci export", got)
	}
	lint := res.Gates[0]
	if lint.Gate != "lint" || lint.Passed || lint.Blocking() || lint.Infra == nil || lint.Infra.Gate != "lint" {
		t.Errorf("lint = %+v, want a failed advisory gate with its infrastructure failure", lint)
	}
}
