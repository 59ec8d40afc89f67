package plan

import (
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/stagebuild/stagebuild/pipeline"
)

const (
	sumA = "sha256:7cc9c41b43d583e34c781fd3446405b06e9c5fa2db468ce2a534d353db6429e5"
	sumB = "sha256:e89dd26ea831dde70639ba0a798fa04a4c7c0226fd2b241da86218bfa370e495"
)

const fetchYAML = `
stages:
  uv:
    from: python:3.11-slim-bookworm
    copy:
      - {src: tool.py, to: /opt/tool.py}
      - {url: "https://example.com/a/uv-x86_64.whl", checksum: ` + sumA + `, platform: linux/amd64, to: /tmp/uv.whl}
      - {url: "https://example.com/b/uv-aarch64.whl", checksum: ` + sumB + `, platform: linux/arm64, to: /tmp/uv.whl, chmod: 644}
    run: python /opt/tool.py /tmp/uv.whl
`

// TestPlanFetch: url copies are fetch steps, first (they read no context),
// in file order, and out of the context's includes.
func TestPlanFetch(t *testing.T) {
	p, err := pipeline.Parse("p.yaml", []byte(fetchYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := planFor(t, p, fstest.MapFS{"tool.py": {}}, "uv")
	steps := pl.Stage("uv").Steps
	want := []Step{
		{Kind: StepFetch, URL: "https://example.com/a/uv-x86_64.whl", Checksum: sumA, Platforms: []string{"linux/amd64"}, Dest: "/tmp/uv.whl", Source: "p.yaml:7:9"},
		{Kind: StepFetch, URL: "https://example.com/b/uv-aarch64.whl", Checksum: sumB, Platforms: []string{"linux/arm64"}, Dest: "/tmp/uv.whl", Chmod: "0644", Source: "p.yaml:8:9"},
	}
	if len(steps) != 4 || !reflect.DeepEqual(steps[:2], want) || steps[2].Kind != StepCopy || steps[3].Kind != StepRun {
		t.Fatalf("steps =\n%+v", steps)
	}
	if !reflect.DeepEqual(pl.Context.Includes, []string{"tool.py"}) {
		t.Errorf("includes = %q", pl.Context.Includes)
	}
	if !steps[0].ForPlatform("linux/amd64") || steps[0].ForPlatform("linux/arm64") || !steps[2].ForPlatform("linux/riscv64") {
		t.Errorf("ForPlatform picks the wrong steps")
	}
	for _, ok := range []string{"linux/amd64", "linux/arm64"} {
		if err := CheckPlatform(pl, ok); err != nil {
			t.Errorf("CheckPlatform(%s) = %v", ok, err)
		}
	}
	err = CheckPlatform(pl, "linux/riscv64")
	const msg = `p.yaml:7:9: stage "uv" fetches /tmp/uv.whl for linux/amd64, linux/arm64 only, and this build is for linux/riscv64 ` +
		`(add a url: entry with platform: linux/riscv64, or build with --platform linux/amd64)`
	if err == nil || err.Error() != msg {
		t.Errorf("CheckPlatform(linux/riscv64) =\n%v\nwant\n%s", err, msg)
	}
}

// TestFetchKeyedByChecksum: the checksum keys a fetch step's definition,
// the URL it is fetched from does not (as in BuildKit's http source).
func TestFetchKeyedByChecksum(t *testing.T) {
	s := Step{Kind: StepFetch, URL: "https://a.example/x.whl", Checksum: sumA, Dest: "/tmp/x.whl"}
	moved, changed := s, s
	moved.URL = "https://mirror.example/x.whl"
	changed.Checksum = sumB
	d := func(s Step) string { return stepDefDigest(Base{Image: "alpine:3"}, Config{}, "", s) }
	if d(s) != d(moved) {
		t.Errorf("a new URL for the same checksum changed the key")
	}
	if d(s) == d(changed) {
		t.Errorf("a new checksum kept the key")
	}
}
