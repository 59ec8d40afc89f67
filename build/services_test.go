package build

import (
	"context"
	"testing"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/stagebuild/stagebuild/plan"
)

type fakeGW struct {
	gateway.Client
	id int
}

func servicesRunner() *runner {
	pl := &plan.Plan{
		Stages: []plan.Stage{
			{Name: "a", Gate: true, Services: []string{"db"}},
			{Name: "b", Gate: true, Services: []string{"db", "api"},
				ServiceEnv: []plan.EnvVar{{Key: "URL", Value: "http://127.0.0.1:${services.api.ports.http}/${NAME}"}, {Key: "Q", Value: "it's ${URL}"}}},
		},
		Services: []plan.Service{{Name: "db"}, {Name: "api", Needs: []string{"db"}}},
	}
	r := &runner{opts: Options{Plan: pl}}
	r.svc = newServiceManager(r)
	return r
}

// started marks a claimed run as started, with a cancel that records the
// release.
func started(run *serviceRun, released *[]string) {
	run.cancel = func() {
		*released = append(*released, run.svc.Name)
		close(run.done)
	}
}

// A service two gates share runs until the last of them ends; each
// session has its own.
func TestServiceClaims(t *testing.T) {
	r := servicesRunner()
	m := r.svc
	gw1, gw2 := &fakeGW{id: 1}, &fakeGW{id: 2}
	m.claim(gw1, []string{"a", "b"})
	m.claim(gw2, []string{"a"})
	var released []string
	for _, gw := range []gateway.Client{gw1, gw2} {
		for _, run := range m.runs[gw] {
			started(run, &released)
		}
	}
	if m.runs[gw1]["db"] == m.runs[gw2]["db"] {
		t.Fatal("two sessions share one db")
	}
	m.unclaim(gw1, "a")
	if len(released) != 0 {
		t.Fatalf("released %v while gate b still needs them", released)
	}
	m.unclaim(gw1, "b")
	if len(released) != 2 {
		t.Fatalf("released %v after the last gate of session 1, want db and api", released)
	}
	m.unclaim(gw2, "a")
	if len(released) != 3 || len(m.runs) != 0 {
		t.Fatalf("released %v, %d sessions left", released, len(m.runs))
	}
}

// The env file fills in the run's ports, expands ${NAME} from the gate's
// env and the entries before, and quotes for the shell.
func TestServicesEnvFile(t *testing.T) {
	r := servicesRunner()
	ready := func(name string, ports map[string]int) *serviceRun {
		run := &serviceRun{svc: r.opts.Plan.Service(name), ports: ports, ready: make(chan struct{})}
		close(run.ready)
		return run
	}
	gs := &gateServices{m: r.svc, gate: "b", stage: r.opts.Plan.Stage("b"), env: []string{"NAME=notes"},
		runs: []*serviceRun{ready("db", map[string]int{"pg": 5432}), ready("api", map[string]int{"http": 40123})}}
	b, err := gs.envFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "URL='http://127.0.0.1:40123/notes'\nQ='it'\\''s http://127.0.0.1:40123/notes'\n"
	if string(b) != want {
		t.Errorf("env file\n%s\nwant\n%s", b, want)
	}
	failed := &serviceRun{svc: r.opts.Plan.Service("db"), ready: make(chan struct{}), err: &ServiceError{Service: "db", Gate: "b", Reason: "not ready"}}
	close(failed.ready)
	gs.runs = []*serviceRun{failed}
	if _, err := gs.envFile(context.Background()); err == nil || err.Error() != `service "db" (for gate "b"): not ready` {
		t.Errorf("env file of a failed service: %v", err)
	}
	if _, ok, _ := r.svc.secret(context.Background(), "stagebuild-services-b"); ok {
		t.Error("a gate that is not being solved served its env")
	}
}
