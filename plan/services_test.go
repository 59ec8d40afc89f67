package plan

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

const servicesPipeline = `services:
  db:
    stage: pg
    command: [postgres, -c, port=$PGPORT]
    ports: {pg: PGPORT}
    readiness: {command: pg_isready}
  api:
    stage: app
    needs: [db]
    env: {DATABASE_URL: "postgresql://${services.db.host}:${services.db.port}/x"}
    ports: {http: PORT}
    readiness: {http: {path: /health}}
    timeout: 5s
stages:
  pg: {from: debian:12}
  app: {from: debian:12, gated_by: [ext]}
  ext:
    from: debian:12
    services: [api]
    env:
      MODE: test
      APP_URL: http://${services.api.host}:${services.api.port}
      HEALTH: ${APP_URL}/health
    test: 'true'
`

func servicesPlan(t *testing.T, text string) *Plan {
	t.Helper()
	p, err := pipeline.Parse("p.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := targets.Resolve(p, []string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Make(p, r, fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func TestPlanServices(t *testing.T) {
	plan := servicesPlan(t, servicesPipeline)
	var order []string
	for _, s := range plan.Stages {
		order = append(order, s.Name)
	}
	// The gate's test mounts the services' stages: they come first.
	if strings.Join(order, " ") != "app pg ext" {
		t.Errorf("stage order = %v, want app pg ext", order)
	}
	ext := plan.Stage("ext")
	if !reflect.DeepEqual(ext.Services, []string{"db", "api"}) {
		t.Errorf("ext.Services = %v, want db then api", ext.Services)
	}
	// The entries that read a service (or such an entry) leave the config:
	// they hold per-run ports.
	if !reflect.DeepEqual(ext.Config.Env, []EnvVar{{"MODE", "test"}}) {
		t.Errorf("ext config env = %v", ext.Config.Env)
	}
	wantEnv := []EnvVar{{"APP_URL", "http://127.0.0.1:${services.api.ports.http}"}, {"HEALTH", "${APP_URL}/health"}}
	if !reflect.DeepEqual(ext.ServiceEnv, wantEnv) {
		t.Errorf("ext.ServiceEnv = %v, want %v", ext.ServiceEnv, wantEnv)
	}
	api := plan.Service("api")
	want := Service{Name: "api", Stage: "app", Env: []EnvVar{{"DATABASE_URL", "postgresql://127.0.0.1:${services.db.ports.pg}/x"}},
		Ports: []ServicePort{{"http", "PORT"}}, Readiness: Readiness{HTTP: &ReadyHTTP{Port: "http", Path: "/health", Status: 200}},
		Timeout: 5 * time.Second, Needs: []string{"db"}, Source: "p.yaml:7:3"}
	if !reflect.DeepEqual(*api, want) {
		t.Errorf("api =\n%+v\nwant\n%+v", *api, want)
	}
	if db := plan.Service("db"); db.Timeout != DefaultServiceTimeout || db.Shell || len(db.Command) != 3 || db.Readiness.Command[0] != "pg_isready" {
		t.Errorf("db = %+v", db)
	}
	got := ExpandServices(ext.ServiceEnv[0].Value, func(svc, port string) string { return svc + "/" + port })
	if got != "http://127.0.0.1:api/http" {
		t.Errorf("ExpandServices = %q", got)
	}
	uses := plan.Images()
	if len(uses) != 1 || uses[0] != (ImageUse{"debian:12", "stage app"}) {
		t.Errorf("images = %v", uses)
	}
}

// The gate's key holds what its services are, never where the pipeline
// writes them nor how long it waits.
func TestServicesDigest(t *testing.T) {
	base := servicesPlan(t, servicesPipeline)
	digest := func(text string) string {
		p := servicesPlan(t, text)
		return p.ServicesDigest(p.Stage("ext"))
	}
	d0 := base.ServicesDigest(base.Stage("ext"))
	if len(d0) != 64 {
		t.Fatalf("digest %q", d0)
	}
	same := map[string]string{
		"moved down a line": "\n" + servicesPipeline,
		"another timeout":   strings.Replace(servicesPipeline, "timeout: 5s", "timeout: 50s", 1),
		"another gate env":  strings.Replace(servicesPipeline, "MODE: test", "MODE: ci", 1),
	}
	for name, text := range same {
		if d := digest(text); d != d0 {
			t.Errorf("%s changed the digest", name)
		}
	}
	differs := map[string]string{
		"command":     strings.Replace(servicesPipeline, "port=$PGPORT]", "port=$PGPORT, -c, fsync=off]", 1),
		"readiness":   strings.Replace(servicesPipeline, "path: /health", "path: /healthz", 1),
		"service env": strings.Replace(servicesPipeline, "/x\"", "/y\"", 1),
		"port env":    strings.Replace(servicesPipeline, "{http: PORT}", "{http: HTTP_PORT}", 1),
		"test's URL":  strings.Replace(servicesPipeline, "${APP_URL}/health", "${APP_URL}/ready", 1),
	}
	for name, text := range differs {
		if d := digest(text); d == d0 {
			t.Errorf("a change of %s kept the digest", name)
		}
	}
}
