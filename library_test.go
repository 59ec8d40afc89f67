package stagebuild_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stagebuild/stagebuild"
	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/internal/fakebk"
	"github.com/stagebuild/stagebuild/state"
)

const libPipeline = `version: 1
default: service
stages:
  tests:
    from: busybox:latest
    copy: [app.txt]
    test: run-the-unit-tests
  service:
    from: busybox:latest
    copy: [app.txt]
    gated_by: [tests]
`

// buildRequest is `stagebuild build -o type=oci,dest=out.tar
// --metadata-file meta.json` of libPipeline, connected to fake.
func buildRequest(t *testing.T, fake *fakebk.BuildKit, connects *int) (stagebuild.BuildRequest, string) {
	t.Helper()
	t.Setenv("STAGEBUILD_HOME", t.TempDir())
	dir := t.TempDir()
	for name, text := range map[string]string{"stagebuild.yaml": libPipeline, "app.txt": "app\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := buildflags.ParseOutput("type=oci,dest=" + filepath.Join(dir, "out.tar"))
	if err != nil {
		t.Fatal(err)
	}
	return stagebuild.BuildRequest{
		Project:      stagebuild.Project{File: filepath.Join(dir, "stagebuild.yaml"), ContextDir: dir},
		Outputs:      []buildflags.Output{out},
		MetadataFile: filepath.Join(dir, "meta.json"),
		Progress:     "quiet", ProgressOut: io.Discard, Stdout: io.Discard,
		ReportsDir: filepath.Join(t.TempDir(), "reports"),
		Getenv:     func(string) string { return "" },
		Connect: func(context.Context) (stagebuild.Client, error) {
			*connects++
			return fake, nil
		},
	}, dir
}

func metadata(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Build runs load → plan → connect → gated build → metadata → record once:
// a failed gate writes no output and records nothing for plan, but the
// metadata file says what happened; a passing build writes both.
func TestBuildGatedExportAndRecord(t *testing.T) {
	var connects int
	fake := &fakebk.BuildKit{Exits: map[string]int{"run-the-unit-tests": 1}}
	req, dir := buildRequest(t, fake, &connects)
	res, err := stagebuild.Build(t.Context(), req)
	if !errors.As(err, new(*build.GateError)) {
		t.Fatalf("err = %v, want a gate error", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, "out.tar")); !os.IsNotExist(serr) {
		t.Errorf("out.tar after a failed gate: %v", serr)
	}
	if rec, _ := state.LoadRecord(dir, req.File); rec != nil {
		t.Error("a failed build was recorded for plan")
	}
	if m := metadata(t, req.MetadataFile); m["stagebuild.exported"] != false {
		t.Errorf("metadata after a failed gate: %v", m)
	}
	if res.Result == nil || len(res.Outputs["service"]) != 1 || connects != 1 {
		t.Errorf("result %+v, outputs %v, %d connects", res.Result, res.Outputs, connects)
	}

	fake.Exits = nil
	res, err = stagebuild.Build(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "out.tar")); err != nil || string(data) != "fake image\n" {
		t.Errorf("out.tar = %q, %v", data, err)
	}
	if rec, err := state.LoadRecord(dir, req.File); rec == nil || err != nil {
		t.Errorf("the passing build was not recorded: %v", err)
	}
	if m := metadata(t, req.MetadataFile); m["stagebuild.exported"] != true || m["containerimage.digest"] != fakebk.Digest {
		t.Errorf("metadata after a passing build: %v", m)
	}
}

// Errors in what the user asked for are found before BuildKit is reached.
func TestBuildUsageErrorsConnectNothing(t *testing.T) {
	var connects int
	req, _ := buildRequest(t, &fakebk.BuildKit{}, &connects)
	req.Targets = []string{"service", "tests"}
	_, err := stagebuild.Build(t.Context(), req)
	want := `--output "type=oci,dest=` + req.ContextDir + `/out.tar" names no target but 2 targets are requested (write service=type=oci,dest=` + req.ContextDir + `/out.tar)`
	if !errors.As(err, new(*buildflags.UsageError)) || err.Error() != want {
		t.Errorf("err = %v (%T)\nwant %s", err, err, want)
	}
	req.Targets = nil
	req.NoCacheFilter = []string{"test"}
	_, err = stagebuild.Build(t.Context(), req)
	if want := `--no-cache-filter "test": no such stage (did you mean "tests"?)`; !errors.As(err, new(*buildflags.UsageError)) || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	req.NoCacheFilter = nil
	req.Load = true
	req.Platforms, _ = buildflags.ParsePlatforms([]string{"linux/amd64,linux/arm64"})
	_, err = stagebuild.Build(t.Context(), req)
	if want := `--load: docker loads one platform's image and --platform names 2; load one platform (--platform linux/amd64 --load), or write the index with -o type=oci,dest=FILE.tar`; !errors.As(err, new(*buildflags.UsageError)) || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if connects != 0 {
		t.Errorf("%d connects for usage errors", connects)
	}
}
