package llbgen

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
)

const servicesPipeline = `default: app
services:
  db:
    image: postgres:15
    ports: {pg: PGPORT}
    readiness: {tcp: pg}
  api:
    stage: app
    needs: [db]
    ports: {http: PORT}
    readiness: {http: {path: /health}}
stages:
  app: {from: busybox:latest, gated_by: [ext, unit]}
  ext:
    from: busybox:latest
    services: [api]
    env:
      APP_URL: http://${services.api.host}:${services.api.port}
    test: wget -qO- $APP_URL
  unit: {from: busybox:latest, test: 'true'}
`

func servicesGraph(t *testing.T) (*Graph, *plan.Plan) {
	t.Helper()
	p, err := pipeline.Parse("stagebuild.yaml", []byte(servicesPipeline), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, fstest.MapFS{})
	g, err := Generate(pl, Options{Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	return g, pl
}

// The test of a gate with services reads their env from a secret (no port
// in its key), is keyed by their images (read-only mounts) and config (a
// digest in its env), and sources the env before the test command.
func TestServicesTestExec(t *testing.T) {
	g, pl := servicesGraph(t)
	_, ops := marshal(t, g, "ext")
	var ex *pb.ExecOp
	for _, v := range ops {
		if e := v.op.GetExec(); e != nil && strings.HasPrefix(v.name, "[ext 1/1] TEST") {
			ex = e
		}
	}
	if ex == nil {
		t.Fatalf("no test exec among %v", names(ops))
	}
	mounts := map[string]*pb.Mount{}
	for _, m := range ex.Mounts {
		mounts[m.Dest] = m
	}
	sec := mounts[ServicesEnvPath]
	if sec == nil || sec.MountType != pb.MountType_SECRET || sec.SecretOpt.ID != "stagebuild-services-ext" || sec.SecretOpt.Optional {
		t.Errorf("services env mount = %+v", sec)
	}
	for _, name := range []string{"db", "api"} {
		if m := mounts[ServicesDir+"/"+name]; m == nil || !m.Readonly || m.Input < 0 {
			t.Errorf("service %s image mount = %+v", name, m)
		}
	}
	wantEnv := ServicesConfigEnv + "=" + pl.ServicesDigest(pl.Stage("ext"))
	var hasDigest bool
	for _, e := range ex.Meta.Env {
		hasDigest = hasDigest || e == wantEnv
		if strings.HasPrefix(e, "APP_URL=") {
			t.Errorf("the service env %q is in the test's env (and so in its cache key)", e)
		}
	}
	if !hasDigest {
		t.Errorf("env %v lacks %s", ex.Meta.Env, wantEnv)
	}
	if script := ex.Meta.Args[2]; !strings.HasPrefix(script, servicesPrelude) {
		t.Errorf("test script does not source the services env first:\n%s", script)
	}
	if _, cfg, err := g.Service("db"); err != nil || cfg.Platform.Architecture != "amd64" {
		t.Errorf("Service(db): %v, %+v", err, cfg.Platform)
	}
	if _, _, err := g.Service("nope"); err == nil {
		t.Error("Service(nope) gave no error")
	}
}

// A gate without services keeps the plain wrapper and no extra mounts, so
// its cache key is what it was before services existed.
func TestGateWithoutServicesUnchanged(t *testing.T) {
	g, _ := servicesGraph(t)
	_, ops := marshal(t, g, "unit")
	for _, v := range ops {
		ex := v.op.GetExec()
		if ex == nil {
			continue
		}
		if ex.Meta.Args[2] != testWrapper {
			t.Errorf("unit's wrapper changed:\n%s", ex.Meta.Args[2])
		}
		for _, m := range ex.Mounts {
			if m.MountType == pb.MountType_SECRET || strings.HasPrefix(m.Dest, ServicesDir) {
				t.Errorf("unit has mount %+v", m)
			}
		}
	}
}

// With ServicesEnv (a frontend's), the gate's test reads the env from a
// read-only file mount of that content, not from a secret.
func TestServicesEnvAsFile(t *testing.T) {
	p, err := pipeline.Parse("stagebuild.yaml", []byte(servicesPipeline), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, fstest.MapFS{})
	env := []byte("APP_URL='http://127.0.0.1:40123'\n")
	g, err := Generate(pl, Options{Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		ServicesEnv: map[string][]byte{"ext": env}})
	if err != nil {
		t.Fatal(err)
	}
	_, ops := marshal(t, g, "ext")
	var ex *pb.ExecOp
	var mkfile *pb.FileActionMkFile
	for _, v := range ops {
		if e := v.op.GetExec(); e != nil && strings.HasPrefix(v.name, "[ext 1/1] TEST") {
			ex = e
		}
		if f := v.op.GetFile(); f != nil && v.name == "[internal] services env of ext" {
			mkfile = f.Actions[0].GetMkfile()
		}
	}
	if ex == nil || mkfile == nil {
		t.Fatalf("no test exec or env file among %v", names(ops))
	}
	if string(mkfile.Data) != string(env) || mkfile.Path != "/services.env" {
		t.Errorf("env file = %q at %s", mkfile.Data, mkfile.Path)
	}
	for _, m := range ex.Mounts {
		if m.Dest == ServicesEnvPath && (m.MountType != pb.MountType_BIND || !m.Readonly || m.Selector != "services.env") {
			t.Errorf("services env mount = %+v", m)
		}
	}
}
