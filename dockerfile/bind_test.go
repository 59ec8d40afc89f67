package dockerfile

import (
	"slices"
	"testing"
)

// A stage's mounts become RUN --mount=type=bind flags, and the mounted
// stage is defined before the stage that mounts it.
func TestBindMountFlags(t *testing.T) {
	pl := parsePipeline(t, `version: 1
stages:
  deps:
    from: alpine:3
    mounts: [{from: uv, source: /uv, target: /opt/uv}]
    cache: [/root/.cache/uv]
    run: /opt/uv/uv pip install -r requirements.txt
  uv:
    from: alpine:3
    run: mkdir /uv
`, "deps")
	_, _, stages := generate(t, pl, Options{Last: "deps"})
	if got := stageNames(stages); !slices.Equal(got, []string{"uv", "deps"}) {
		t.Fatalf("stages %q, want uv before deps", got)
	}
	run := stages[1].all("RUN")[0]
	want := []string{"--mount=type=cache,target=/root/.cache/uv,id=stagebuild:/root/.cache/uv,sharing=locked",
		"--mount=type=bind,from=uv,source=/uv,target=/opt/uv"}
	if !slices.Equal(run.Flags, want) || run.Rest != "/opt/uv/uv pip install -r requirements.txt" {
		t.Errorf("RUN %+v, want flags %q", run, want)
	}
}
