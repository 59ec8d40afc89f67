package cli

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
)

const examplePipeline = "testdata/seed000.yaml"

// runBuildCmd parses args with newBuildCmd and returns what runF received.
func runBuildCmd(t *testing.T, args ...string) (*BuildOptions, error) {
	t.Helper()
	var got *BuildOptions
	var out, errb bytes.Buffer
	cmd := newBuildCmd(Streams{Out: &out, Err: &errb}, func(o *BuildOptions) error {
		got = o
		return nil
	})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil && got == nil {
		t.Fatalf("%q: runF was not called", args)
	}
	return got, err
}

func TestBuildOptions(t *testing.T) {
	svcOCI := buildflags.Output{Target: "service", Type: "oci", Attrs: map[string]string{"dest": "svc.tar"}, Spec: "service=type=oci,dest=svc.tar"}
	tests := []struct {
		name string
		args []string
		want BuildOptions
	}{
		{"defaults", nil, BuildOptions{File: "stagebuild.yaml", ContextDir: ".", Progress: "auto"}},
		{"positional DIR", []string{"examples/app"},
			BuildOptions{File: "examples/app/stagebuild.yaml", ContextDir: "examples/app", Progress: "auto"}},
		{"-f without DIR", []string{"-f", "ci/pipelines/app.yaml"},
			BuildOptions{File: "ci/pipelines/app.yaml", ContextDir: "ci/pipelines", Progress: "auto"}},
		{"-f with DIR", []string{"-f", "ci/app.yaml", "src"}, BuildOptions{File: "ci/app.yaml", ContextDir: "src", Progress: "auto"}},
		{"--target repeated", []string{"--target", "service", "--target", "localdev", "--progress", "plain", "--addr", "tcp://bk:1234"},
			BuildOptions{File: "stagebuild.yaml", ContextDir: ".", Targets: []string{"service", "localdev"}, Progress: "plain", Addr: "tcp://bk:1234"}},
		{"-o, -t and --push", []string{"-o", "service=type=oci,dest=svc.tar", "-t", "reg/app:1", "--push"},
			BuildOptions{File: "stagebuild.yaml", ContextDir: ".", Progress: "auto", Outputs: []buildflags.Output{
				svcOCI,
				{Type: "image", Attrs: map[string]string{"name": "reg/app:1", "push": "true"}, Spec: "reg/app:1"},
			}}},
		{"-t without --push", []string{"--tag", "localdev=app:dev"},
			BuildOptions{File: "stagebuild.yaml", ContextDir: ".", Progress: "auto", Outputs: []buildflags.Output{
				{Target: "localdev", Type: "image", Attrs: map[string]string{"name": "app:dev"}, Spec: "localdev=app:dev"},
			}}},
		{"--build-arg", []string{"--build-arg", "PYTHON_IMAGE=python:3.12", "--build-arg", "EMPTY=", "--build-arg", "X=a=b"},
			BuildOptions{File: "stagebuild.yaml", ContextDir: ".", Progress: "auto",
				BuildArgs: map[string]string{"PYTHON_IMAGE": "python:3.12", "EMPTY": "", "X": "a=b"}}},
		{"--platform", []string{"--platform", "linux/amd64,linux/arm64/v8", "--platform", "linux/arm/v7"},
			BuildOptions{File: "stagebuild.yaml", ContextDir: ".", Progress: "auto", Buildx: BuildxOptions{Platforms: []ocispecs.Platform{
				{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}, {OS: "linux", Architecture: "arm", Variant: "v7"}}}}},
		{"gates and cache", []string{"--reports", "out/r", "--rerun-tests", "--annotations", "github",
			"--cache-from", "type=local,src=c", "--cache-from", "reg.example/app:cache",
			"--cache-to", "type=registry,ref=reg.example/app:cache,mode=max", "--cache-to", "type=inline"},
			BuildOptions{File: "stagebuild.yaml", ContextDir: ".", Progress: "auto", ReportsDir: "out/r",
				RerunTests: true, Annotations: "github",
				CacheFrom: []client.CacheOptionsEntry{
					{Type: "local", Attrs: map[string]string{"src": "c"}},
					{Type: "registry", Attrs: map[string]string{"ref": "reg.example/app:cache"}}},
				CacheTo: []client.CacheOptionsEntry{
					{Type: "registry", Attrs: map[string]string{"ref": "reg.example/app:cache", "mode": "max"}},
					{Type: "inline", Attrs: map[string]string{}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runBuildCmd(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.BuildArgs == nil {
				tc.want.BuildArgs = map[string]string{}
			}
			if tc.want.ReportsDir == "" {
				tc.want.ReportsDir = build.DefaultReportsDir
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options =\n%+v\nwant\n%+v", *got, tc.want)
			}
		})
	}
}

func TestBuildUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad --progress", []string{"--progress", "fancy"}, `--progress "fancy": must be one of auto, plain, tty, rawjson, quiet`},
		{"--build-arg without =", []string{"--build-arg", "PYTHON_IMAGE"}, `--build-arg "PYTHON_IMAGE": write KEY=VALUE`},
		{"--build-arg without key", []string{"--build-arg", "=x"}, `--build-arg "=x": write KEY=VALUE`},
		{"--push without -t", []string{"--push"}, "--push needs an image name: add -t REF"},
		{"--push with -o only", []string{"--push", "-o", "type=image,name=a"}, "--push needs an image name: add -t REF"},
		{"bad -o", []string{"-o", "type=zip,dest=x"}, `--output "type=zip,dest=x": unknown type "zip" (one of oci, docker, image, local, tar, registry)`},
		{"-o without dest", []string{"-o", "type=oci"}, `--output "type=oci": type=oci needs dest=FILE.tar`},
		{"bad -t", []string{"-t", "a b"}, `--tag "a b": not an image reference (write -t registry/name:tag)`},
		{"too many args", []string{"a", "b", "c"}, "build takes at most one DIR argument, got 3 (a b c)"},
		{"bad --annotations", []string{"--annotations", "gitlab"}, `--annotations "gitlab": the only supported format is github`},
		{"empty --reports", []string{"--reports", ""}, "--reports: give a directory (default stagebuild-reports)"},
		{"cache type", []string{"--cache-to", "type=gha"}, `--cache-to "type=gha": unsupported cache type "gha" (use one of registry, local, inline)`},
		{"local cache without dir", []string{"--cache-from", "type=local,dest=x"}, `--cache-from "type=local,dest=x": type=local needs src=DIR`},
		{"cache mode", []string{"--cache-to", "type=local,dest=x,mode=all"}, `--cache-to "type=local,dest=x,mode=all": mode=all: use mode=min or mode=max`},
		{"bad --platform", []string{"--platform", "linux/amd64,bogus"}, `--platform "bogus": not a platform (write OS/ARCH[/VARIANT], for example linux/arm64)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runBuildCmd(t, tc.args...)
			if err == nil {
				t.Fatalf("no error; options %+v", got)
			}
			if err.Error() != tc.want {
				t.Errorf("\ngot:  %s\nwant: %s", err, tc.want)
			}
			if code := ExitCode(err); code != ExitUsage {
				t.Errorf("ExitCode = %d, want %d", code, ExitUsage)
			}
		})
	}
}

func TestTargetsOptions(t *testing.T) {
	tests := []struct {
		args    []string
		want    TargetsOptions
		wantErr string
	}{
		{nil, TargetsOptions{File: "stagebuild.yaml", Format: "text"}, ""},
		{[]string{"app"}, TargetsOptions{File: "app/stagebuild.yaml", Format: "text"}, ""},
		{[]string{"-f", "x.yaml", "--format", "json"}, TargetsOptions{File: "x.yaml", Format: "json"}, ""},
		{[]string{"--format", "yaml"}, TargetsOptions{}, `--format "yaml": must be text or json`},
		{[]string{"a", "b"}, TargetsOptions{}, "targets takes at most one DIR argument, got 2"},
	}
	for _, tc := range tests {
		var got *TargetsOptions
		var buf bytes.Buffer
		cmd := newTargetsCmd(Streams{Out: &buf, Err: &buf}, func(o *TargetsOptions) error { got = o; return nil })
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs(tc.args)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr || ExitCode(err) != ExitUsage {
				t.Errorf("%q: err = %v (exit %d), want %s (exit 2)", tc.args, err, ExitCode(err), tc.wantErr)
			}
			continue
		}
		if err != nil || got == nil || *got != tc.want {
			t.Errorf("%q: options %+v, err %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}

func TestMainExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"unknown flag", []string{"build", "--bogus"}, ExitUsage, "",
			"stagebuild: unknown flag: --bogus (see 'stagebuild build --help')\n"},
		{"unknown command", []string{"bogus"}, ExitUsage, "", "stagebuild: unknown command \"bogus\" for \"stagebuild\" (see 'stagebuild --help')\n"},
		{"bad --progress", []string{"build", "--progress", "x"}, ExitUsage, "",
			"stagebuild: --progress \"x\": must be one of auto, plain, tty, rawjson, quiet\n"},
		{"pipeline error", []string{"targets", "-f", "../pipeline/testdata/bad_from.yaml"}, ExitUsage, "",
			`stagebuild: ../pipeline/testdata/bad_from.yaml:6:11: from of stage "service": unknown stage "dep" (did you mean "deps"? for an image, add a tag: dep:latest)` + "\n"},
		{"missing pipeline", []string{"targets", "testdata-missing"}, ExitUsage, "",
			"stagebuild: testdata-missing/stagebuild.yaml: no such file (create one, or pass -f FILE)\n"},
		// These fail before a daemon is contacted.
		{"unknown target", []string{"build", "-f", examplePipeline, "--target", "servcie"}, ExitUsage, "",
			`stagebuild: unknown target "servcie" (did you mean "service"?); valid targets: deps, test_deps, builder, tests_builder, tests, localdev, service` + "\n"},
		{"unprefixed output, two targets", []string{"build", "-f", examplePipeline, "--target", "service", "--target", "localdev", "-o", "type=oci,dest=x.tar"},
			ExitUsage, "", `stagebuild: --output "type=oci,dest=x.tar" names no target but 2 targets are requested (write service=type=oci,dest=x.tar)` + "\n"},
		{"targets of the example", []string{"targets", "-f", examplePipeline}, ExitOK, `STAGE              KIND   FROM                       GATED BY
deps               image  python:3.11-slim-bookworm  -
test_deps          image  deps                       -
builder            image  deps                       -
tests_builder      image  test_deps                  -
tests              gate   tests_builder              -
localdev           image  tests_builder              -
service (default)  image  builder                    tests
`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(tc.args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != tc.code {
				t.Errorf("exit code %d, want %d", code, tc.code)
			}
			if out.String() != tc.out {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), tc.out)
			}
			if errb.String() != tc.err {
				t.Errorf("stderr:\n%s\nwant:\n%s", errb.String(), tc.err)
			}
			if tc.err != "" && (!strings.HasPrefix(tc.err, "stagebuild: ") || strings.Count(tc.err, "\n") != 1) {
				t.Errorf("stderr is not one stagebuild: line")
			}
		})
	}
}

func TestTargetsJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"targets", "-f", examplePipeline, "--format", "json"}, Streams{Out: &out, Err: &errb}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{`"stage": "deps"`, `"kind": "gate"`, `"gated_by": [` + "\n      \"tests\"\n    ]", `"default": true`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("json output lacks %s:\n%s", want, out.String())
		}
	}
}
