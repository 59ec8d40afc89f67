package services

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// clashSession runs a service as a goroutine that listens on $PORT of
// this host's loopback, with the probe in-process: the first start finds
// its port taken by another process, as a foreign bind between the pick
// and the service's start would.
type clashSession struct {
	probe *Probe
	mu    sync.Mutex
	ports []string // $PORT of each start
	held  []net.Listener
}

func (c *clashSession) Image(context.Context, string) (gateway.Reference, ocispecs.ImageConfig, error) {
	return nil, ocispecs.ImageConfig{Cmd: []string{"serve"}}, nil
}
func (c *clashSession) Container(context.Context, gateway.Reference) (gateway.Container, error) {
	return &fakeCtr{s: c}, nil
}
func (c *clashSession) Env(string) []string                   { return nil }
func (c *clashSession) Probe(context.Context) (*Probe, error) { return c.probe, nil }

type fakeCtr struct {
	gateway.Container // only Start and Release are used
	s                 *clashSession
	l                 net.Listener
}

func (f *fakeCtr) Start(ctx context.Context, req gateway.StartRequest) (gateway.ContainerProcess, error) {
	port := lookupEnv(req.Env, "PORT")
	f.s.mu.Lock()
	f.s.ports = append(f.s.ports, port)
	first := len(f.s.ports) == 1
	f.s.mu.Unlock()
	p := &fakeProc{done: make(chan error, 1)}
	if first { // another process binds the port first
		other, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			return nil, err
		}
		f.s.held = append(f.s.held, other)
		req.Stderr.Write([]byte("bind: address already in use\n"))
		p.done <- errors.New("exit code: 1")
		return p, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		return nil, err
	}
	f.l = l
	return p, nil
}

func (f *fakeCtr) Release(context.Context) error {
	if f.l != nil {
		f.l.Close()
	}
	return nil
}

type fakeProc struct{ done chan error }

func (p *fakeProc) Wait() error                                   { return <-p.done }
func (p *fakeProc) Resize(context.Context, gateway.WinSize) error { return nil }
func (p *fakeProc) Signal(context.Context, syscall.Signal) error  { return nil }

// A service that exits before it is ready because something else took its
// port is started again on a new port, and the gate gets the new one.
func TestServicePortClashRetries(t *testing.T) {
	pl := &plan.Plan{
		Stages: []plan.Stage{{Name: "tests", Gate: true, Services: []string{"web"},
			ServiceEnv: []plan.EnvVar{{Key: "WEB", Value: "${services.web.ports.http}"}}}},
		Services: []plan.Service{{Name: "web", Ports: []plan.ServicePort{{Name: "http", Env: "PORT"}},
			Readiness: plan.Readiness{TCP: "http"}, Timeout: 10 * time.Second}},
	}
	sess := &clashSession{probe: startLocalProbe(t, t.TempDir())}
	defer func() {
		for _, l := range sess.held {
			l.Close()
		}
	}()
	var logs strings.Builder
	var lmu sync.Mutex
	m := New(pl, Options{Progress: func() chan *client.SolveStatus {
		ch := make(chan *client.SolveStatus)
		go func() {
			for ss := range ch {
				lmu.Lock()
				for _, l := range ss.Logs {
					logs.Write(l.Data)
				}
				lmu.Unlock()
			}
		}()
		return ch
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	gs := m.Start(ctx, sess, "tests", "tests")
	vars, err := gs.Vars(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gs.End()
	if len(sess.ports) != 2 || sess.ports[0] == sess.ports[1] {
		t.Fatalf("starts on ports %v, want two different", sess.ports)
	}
	if vars[0].Value != sess.ports[1] {
		t.Errorf("the gate got port %s, want the second start's %s", vars[0].Value, sess.ports[1])
	}
	lmu.Lock()
	defer lmu.Unlock()
	want := "[service web for tests] port " + sess.ports[0] + " taken by another process before it started; retrying with new ports\n"
	if !strings.Contains(logs.String(), want) {
		t.Errorf("progress lacks %q:\n%s", want, logs.String())
	}
}
