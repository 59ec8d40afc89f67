package llbgen

import (
	"testing"
	"testing/fstest"

	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/pipeline"
)

const bindPipeline = `
version: 1
stages:
  uv:
    from: busybox:latest
    run: mkdir /uv && touch /uv/uv
  deps:
    from: busybox:latest
    mounts: [{from: uv, source: /uv, target: /opt/uv}]
    run: /opt/uv/uv --version
    test: /opt/uv/uv --help
`

// A mount of another stage reaches the run and test steps read-only, from
// that stage's final state and at its source path; the stage the step
// builds stays on its own root.
func TestBindMountFromStage(t *testing.T) {
	p, err := pipeline.Parse("stagebuild.yaml", []byte(bindPipeline), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, fstest.MapFS{}, "deps")
	g, err := Generate(pl, Options{Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	_, ops := marshal(t, g, "deps")
	var uvRun string
	for d, v := range ops {
		if v.name == "[uv 1/1] RUN mkdir /uv && touch /uv/uv" {
			uvRun = d.String()
		}
	}
	if uvRun == "" {
		t.Fatalf("the uv stage's run is not in the deps definition: %q", names(ops))
	}
	found := map[string]bool{}
	for _, v := range ops {
		ex := v.op.GetExec()
		if ex == nil || (v.name != "[deps 1/2] RUN /opt/uv/uv --version" && v.name != "[deps 2/2] TEST /opt/uv/uv --help") {
			continue
		}
		for _, m := range ex.Mounts {
			if m.Dest != "/opt/uv" {
				continue
			}
			if m.MountType != pb.MountType_BIND || !m.Readonly || m.Selector != "/uv" || pb.OutputIndex(m.Output) != pb.SkipOutput {
				t.Errorf("%s: mount %+v, want a read-only bind of /uv with no output", v.name, m)
			}
			if in := v.op.Inputs[m.Input].Digest; in != uvRun {
				t.Errorf("%s: mount reads %s, want the uv stage's run %s", v.name, in, uvRun)
			}
			found[v.name] = true
		}
		if root := ex.Mounts[0]; root.Dest != "/" || v.op.Inputs[root.Input].Digest == uvRun {
			t.Errorf("%s: root mount %+v reads the uv stage", v.name, root)
		}
	}
	if len(found) != 2 {
		t.Fatalf("the mount is on %v, want the run and the test step", found)
	}
}
