package services

import (
	"context"
	"errors"
	"testing"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// fakeSession stands for one build session; claims and env files never
// solve or start anything.
type fakeSession struct {
	id  int
	env []string
}

func (f *fakeSession) Image(context.Context, string) (gateway.Reference, ocispecs.ImageConfig, error) {
	return nil, ocispecs.ImageConfig{}, errors.New("no images in these tests")
}

func (f *fakeSession) Container(context.Context, gateway.Reference) (gateway.Container, error) {
	return nil, errors.New("no containers in these tests")
}

func (f *fakeSession) Env(string) []string { return f.env }

func (f *fakeSession) Probe(context.Context) (*Probe, error) {
	return nil, errors.New("no probe in these tests")
}

func testPlan() *plan.Plan {
	return &plan.Plan{
		Stages: []plan.Stage{
			{Name: "a", Gate: true, Services: []string{"db"}},
			{Name: "b", Gate: true, Services: []string{"db", "api"},
				ServiceEnv: []plan.EnvVar{{Key: "URL", Value: "http://127.0.0.1:${services.api.ports.http}/${NAME}"}, {Key: "Q", Value: "it's ${URL}"}}},
		},
		Services: []plan.Service{{Name: "db"}, {Name: "api", Needs: []string{"db"}}},
	}
}

// started marks a claimed run as started, with a cancel that records the
// release.
func started(r *run, released *[]string) {
	r.cancel = func() {
		*released = append(*released, r.svc.Name)
		close(r.done)
	}
}

// A service two gates share runs until the last of them ends; each
// session has its own.
func TestServiceClaims(t *testing.T) {
	m := New(testPlan(), Options{})
	s1, s2 := &fakeSession{id: 1}, &fakeSession{id: 2}
	m.Claim(s1, []string{"a", "b"})
	m.Claim(s2, []string{"a"})
	var released []string
	for _, s := range []Session{s1, s2} {
		for _, r := range m.runs[s] {
			started(r, &released)
		}
	}
	if m.runs[s1]["db"] == m.runs[s2]["db"] {
		t.Fatal("two sessions share one db")
	}
	m.Unclaim(s1, "a")
	if len(released) != 0 {
		t.Fatalf("released %v while gate b still needs them", released)
	}
	m.Unclaim(s1, "b")
	if len(released) != 2 {
		t.Fatalf("released %v after the last gate of session 1, want db and api", released)
	}
	m.Unclaim(s2, "a")
	if len(released) != 3 || len(m.runs) != 0 {
		t.Fatalf("released %v, %d sessions left", released, len(m.runs))
	}
}

// The env file fills in the run's ports, expands ${NAME} from the gate's
// env and the entries before, and quotes for the shell.
func TestServicesEnvFile(t *testing.T) {
	pl := testPlan()
	m := New(pl, Options{})
	ready := func(name string, ports map[string]int) *run {
		r := &run{svc: pl.Service(name), ports: ports, ready: make(chan struct{})}
		close(r.ready)
		return r
	}
	gs := &Gate{m: m, gate: "b", stage: pl.Stage("b"), env: []string{"NAME=notes"},
		runs: []*run{ready("db", map[string]int{"pg": 5432}), ready("api", map[string]int{"http": 40123})}}
	b, err := gs.envFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "URL='http://127.0.0.1:40123/notes'\nQ='it'\\''s http://127.0.0.1:40123/notes'\n"
	if string(b) != want {
		t.Errorf("env file\n%s\nwant\n%s", b, want)
	}
	failed := &run{svc: pl.Service("db"), ready: make(chan struct{}), err: &Error{Service: "db", Gate: "b", Reason: "not ready"}}
	close(failed.ready)
	gs.runs = []*run{failed}
	if _, err := gs.envFile(context.Background()); err == nil || err.Error() != `service "db" (for gate "b"): not ready` {
		t.Errorf("env file of a failed service: %v", err)
	}
	if _, ok, _ := m.Secret(context.Background(), "stagebuild-services-b"); ok {
		t.Error("a gate that is not being solved served its env")
	}
}
