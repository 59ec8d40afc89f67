package build_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/internal/fakebk"
)

func twoPlatforms(t *testing.T) []ocispecs.Platform {
	t.Helper()
	ps, err := buildflags.ParsePlatforms([]string{"linux/amd64,linux/arm64"})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// With two platforms the result is the Dockerfile frontend's
// multi-platform result: a ref and an image config per platform ID, and
// the platform list; each platform's gates run on their own.
func TestMultiPlatformResult(t *testing.T) {
	g := newGatedBuild(t, "service")
	g.opts.Platforms = twoPlatforms(t)
	fake := &fakebk.BuildKit{}
	res, err := g.run(t, fake)
	if err != nil {
		t.Fatal(err)
	}
	results := fake.Results()
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	if r.Ref != nil || len(r.Refs) != 2 || r.Refs["linux/amd64"] == nil || r.Refs["linux/arm64"] == nil {
		t.Errorf("refs = %v (single %v), want linux/amd64 and linux/arm64", r.Refs, r.Ref)
	}
	var exp exptypes.Platforms
	if err := json.Unmarshal(r.Metadata[exptypes.ExporterPlatformsKey], &exp); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range exp.Platforms {
		ids = append(ids, p.ID+"="+p.Platform.OS+"/"+p.Platform.Architecture)
	}
	if want := []string{"linux/amd64=linux/amd64", "linux/arm64=linux/arm64"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("platforms = %v, want %v", ids, want)
	}
	for _, id := range []string{"linux/amd64", "linux/arm64"} {
		var img ocispecs.Image
		if err := json.Unmarshal(r.Metadata[exptypes.ExporterImageConfigKey+"/"+id], &img); err != nil {
			t.Fatalf("config of %s: %v", id, err)
		}
		if got := img.OS + "/" + img.Architecture; got != id {
			t.Errorf("config of %s says %s", id, got)
		}
	}
	if _, ok := r.Metadata[exptypes.ExporterImageConfigKey]; ok {
		t.Errorf("a multi-platform result carries a single image config")
	}
	var gates []string
	for _, g := range res.Gates {
		gates = append(gates, g.Name())
	}
	if want := []string{"lint (linux/amd64)", "lint (linux/arm64)", "tests (linux/amd64)", "tests (linux/arm64)"}; !reflect.DeepEqual(gates, want) {
		t.Errorf("gates = %v, want %v", gates, want)
	}
}

// A gate failing on one platform only fails the build: nothing is
// exported, and the error names the platform.
func TestMultiPlatformGateFailsOnOnePlatform(t *testing.T) {
	g := newGatedBuild(t, "service")
	g.opts.Platforms = twoPlatforms(t)
	fake := &fakebk.BuildKit{ArchExits: map[string]int{"arm64:run-the-unit-tests": 1}}
	res, err := g.run(t, fake)
	var ge *build.GateError
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v (%T), want a *build.GateError", err, err)
	}
	want := `gate "tests" failed on linux/arm64: run-the-unit-tests exited with code 1; nothing was exported for service`
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
	if got := fake.Exports(); len(got) != 0 {
		t.Errorf("exporters ran after a failed gate: %v", got)
	}
	if files := outFiles(t, g.dir+"/out"); len(files) != 0 {
		t.Errorf("out/ holds %q after a failed gate", files)
	}
	for _, gr := range res.Gates {
		if gr.Gate == "tests" && gr.Passed != (gr.Platform == "linux/amd64") {
			t.Errorf("gate %s passed = %v", gr.Name(), gr.Passed)
		}
	}
}

// One platform given is a single-platform build: one ref, one config, no
// platform in the gate names (today's result, so today's digests).
func TestOnePlatformIsSinglePlatform(t *testing.T) {
	g := newGatedBuild(t, "service")
	ps, err := buildflags.ParsePlatforms([]string{"linux/arm64"})
	if err != nil {
		t.Fatal(err)
	}
	g.opts.Platforms = ps
	fake := &fakebk.BuildKit{ArchExits: map[string]int{"arm64:run-the-unit-tests": 1}}
	_, err = g.run(t, fake)
	want := `gate "tests" failed: run-the-unit-tests exited with code 1; nothing was exported for service`
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got %v\nwant %s (the arm64 gate ran, unnamed)", err, want)
	}
	fake = &fakebk.BuildKit{}
	if _, err := g.run(t, fake); err != nil {
		t.Fatal(err)
	}
	r := fake.Results()[0]
	if r.Ref == nil || len(r.Refs) != 0 || r.Metadata[exptypes.ExporterImageConfigKey] == nil || r.Metadata[exptypes.ExporterPlatformsKey] != nil {
		t.Errorf("result = %+v, want one ref and one config", r)
	}
	var img ocispecs.Image
	if err := json.Unmarshal(r.Metadata[exptypes.ExporterImageConfigKey], &img); err != nil || img.Architecture != "arm64" {
		t.Errorf("config architecture = %q, %v; want arm64", img.Architecture, err)
	}
}
