package llbgen

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/pipeline"
)

const mountsPipeline = `
version: 1
stages:
  deps:
    from: busybox:latest
    secrets: [token, {id: pass, env: DB_PASS, optional: true}]
    ssh: true
    run: cat /run/secrets/token
  app:
    from: deps
    run: echo app
`

func mountsGraph(t *testing.T, opts Options) *Graph {
	t.Helper()
	p, err := pipeline.Parse("stagebuild.yaml", []byte(mountsPipeline), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, fstest.MapFS{}, "app")
	opts.Platform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	g, err := Generate(pl, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Secrets reach the run step as a file and as an env var, and SSH as a
// socket: mounts, never content, so nothing lands in a layer.
func TestSecretAndSSHMounts(t *testing.T) {
	g := mountsGraph(t, Options{})
	def, err := g.Marshal(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	var file, env, ssh bool
	for _, v := range load(t, def) {
		ex := v.op.GetExec()
		if ex == nil || v.name != "[deps 1/1] RUN cat /run/secrets/token" {
			continue
		}
		for _, m := range ex.Mounts {
			switch {
			case m.MountType == pb.MountType_SECRET && m.Dest == "/run/secrets/token" && m.SecretOpt.ID == "token" && !m.SecretOpt.Optional:
				file = true
			case m.MountType == pb.MountType_SSH && m.SSHOpt.ID == "default":
				ssh = true
			}
		}
		for _, se := range ex.Secretenv {
			env = env || (se.ID == "pass" && se.Name == "DB_PASS" && se.Optional)
		}
	}
	if !file || !env || !ssh {
		t.Fatalf("mounts: secret file %v, secret env %v, ssh %v", file, env, ssh)
	}
}

// --no-cache-filter marks only the named stage's steps to run again.
func TestNoCacheFilter(t *testing.T) {
	g := mountsGraph(t, Options{NoCacheStages: []string{"app"}})
	def, err := g.Marshal(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for d, v := range load(t, def) {
		if v.op.GetExec() == nil {
			continue
		}
		seen++
		want := v.name == "[app 1/1] RUN echo app"
		if got := def.Metadata[string(d)].GetIgnoreCache(); got != want {
			t.Errorf("%s: IgnoreCache=%v, want %v", v.name, got, want)
		}
	}
	if seen != 2 {
		t.Fatalf("%d execs", seen)
	}
}
