package llbgen

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/moby/buildkit/client/llb"
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
		if m := mounts[ServicesDir+"/"+name]; m == nil || !m.Readonly || m.Input < 0 || m.ContentCache != pb.MountContentCache_OFF {
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

// With ServicesEnv (a frontend's), the gate's test gets the env in the
// proxy env, which BuildKit keeps out of the cache key: no mount of it, no
// secret, and the test's definition differs from another run's only there.
func TestServicesEnvInProxyEnv(t *testing.T) {
	p, err := pipeline.Parse("stagebuild.yaml", []byte(servicesPipeline), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, fstest.MapFS{})
	test := func(env string) *pb.ExecOp {
		t.Helper()
		g, err := Generate(pl, Options{Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
			Proxy:       &llb.ProxyEnv{HTTPSProxy: "http://proxy:3128", FTPProxy: "ftp://it's"},
			ServicesEnv: map[string][]byte{"ext": []byte(env)}})
		if err != nil {
			t.Fatal(err)
		}
		_, ops := marshal(t, g, "ext")
		for _, v := range ops {
			if e := v.op.GetExec(); e != nil && strings.HasPrefix(v.name, "[ext 1/1] TEST") {
				return e
			}
		}
		t.Fatalf("no test exec among %v", names(ops))
		return nil
	}
	ex := test("APP_URL='http://127.0.0.1:40123'\n")
	want := "# stagebuild services env\nunset FTP_PROXY ftp_proxy\nFTP_PROXY='ftp://it'\\''s'; ftp_proxy='ftp://it'\\''s'\n" +
		"APP_URL='http://127.0.0.1:40123'\n"
	if pe := ex.Meta.ProxyEnv; pe == nil || pe.FtpProxy != want || pe.HttpsProxy != "http://proxy:3128" {
		t.Errorf("proxy env = %+v, want FtpProxy %q and the build's HTTPS proxy", pe, want)
	}
	if !strings.HasPrefix(ex.Meta.Args[2], frontendServicesPrelude) {
		t.Errorf("test script does not evaluate the services env first:\n%s", ex.Meta.Args[2])
	}
	for _, m := range ex.Mounts {
		if m.Dest == ServicesEnvPath || m.MountType == pb.MountType_SECRET {
			t.Errorf("test has mount %+v", m)
		}
	}
	// Other ports: the same exec but for the proxy env (the part of it
	// that is in BuildKit's cache key).
	other := test("APP_URL='http://127.0.0.1:40999'\n")
	ex.Meta.ProxyEnv, other.Meta.ProxyEnv = nil, nil
	a, _ := ex.MarshalVT()
	b, _ := other.MarshalVT()
	if string(a) != string(b) {
		t.Errorf("the test's exec differs beyond its proxy env:\n%+v\n%+v", ex, other)
	}
}
