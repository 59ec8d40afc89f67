package build

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/stagebuild/stagebuild/llbgen"
)

// ServiceError is a service that did not come up for a gate: it timed out,
// exited, or could not start. Log holds its last output lines.
type ServiceError struct {
	Service string
	Gate    string
	Reason  string
	Log     []string
}

func (e *ServiceError) Error() string {
	return fmt.Sprintf("service %q (for gate %q): %s", e.Service, e.Gate, e.Reason)
}

// releaseWait bounds how long a gate's end waits for its services'
// containers to be released.
const releaseWait = 15 * time.Second

// serviceManager starts the services of one invocation's gates and releases
// them. Each build session (target) has its own containers, shared by the
// gates it runs: a container goes when the last gate that claimed it ends.
type serviceManager struct {
	r  *runner
	mu sync.Mutex
	// runs are the services of each session, by name.
	runs map[gateway.Client]map[string]*serviceRun
	// gates serve the env files of the gates whose tests are being solved,
	// by secret id. Two sessions may solve the same test, which BuildKit
	// runs once: either's services serve it.
	gates map[string][]*gateServices
}

func newServiceManager(r *runner) *serviceManager {
	return &serviceManager{r: r, runs: map[gateway.Client]map[string]*serviceRun{}, gates: map[string][]*gateServices{}}
}

// claim marks the services of gates as needed in gw's session, so that a
// service two gates share keeps running from the first gate's start to the
// last one's end. A gate's run holds its services under its own name.
func (m *serviceManager) claim(gw gateway.Client, gates []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range gates {
		for _, name := range m.r.opts.Plan.Stage(g).Services {
			m.runLocked(gw, name).users[g] = true
		}
	}
}

func (m *serviceManager) runLocked(gw gateway.Client, name string) *serviceRun {
	if m.runs[gw] == nil {
		m.runs[gw] = map[string]*serviceRun{}
	}
	run := m.runs[gw][name]
	if run == nil {
		run = &serviceRun{svc: m.r.opts.Plan.Service(name), users: map[string]bool{}, ready: make(chan struct{}), done: make(chan struct{})}
		m.runs[gw][name] = run
	}
	return run
}

// unclaim drops the claims of holders in gw's session and releases every
// service nothing holds any more, waiting (boundedly) until it is gone.
func (m *serviceManager) unclaim(gw gateway.Client, holders ...string) {
	var gone []*serviceRun
	m.mu.Lock()
	for name, run := range m.runs[gw] {
		for _, h := range holders {
			delete(run.users, h)
		}
		if len(run.users) == 0 {
			delete(m.runs[gw], name)
			if run.cancel != nil {
				run.stopped.Store(true)
				run.cancel()
				gone = append(gone, run)
			}
		}
	}
	if len(m.runs[gw]) == 0 {
		delete(m.runs, gw)
	}
	m.mu.Unlock()
	for _, run := range gone {
		select {
		case <-run.done:
		case <-time.After(releaseWait):
		}
	}
}

// start starts the services of a gate that are not running yet, in the
// order of their needs, and serves the gate's env file once they are
// ready, until end. holder names who needs them (the gate's run, or a
// target whose image holds the gate). It returns nil for a gate without
// services.
func (m *serviceManager) start(ctx context.Context, gw gateway.Client, graph *llbgen.Graph, gate, holder string) *gateServices {
	ps := m.r.opts.Plan.Stage(gate)
	if ps == nil || len(ps.Services) == 0 {
		return nil
	}
	gs := &gateServices{m: m, gw: gw, gate: gate, holder: holder, stage: ps, env: graph.Stage(gate).Config.Config.Env}
	m.mu.Lock()
	for _, name := range ps.Services {
		run := m.runLocked(gw, name)
		run.users[holder] = true
		if run.cancel == nil {
			var deps []*serviceRun
			for _, n := range run.svc.Needs {
				deps = append(deps, m.runs[gw][n])
			}
			var rctx context.Context
			rctx, run.cancel = context.WithCancel(ctx)
			run.parent = ctx
			go run.run(rctx, m.r, gw, graph, gate, deps)
		}
		gs.runs = append(gs.runs, run)
	}
	id := llbgen.ServicesSecretID(gate)
	m.gates[id] = append(m.gates[id], gs)
	m.mu.Unlock()
	return gs
}

// startChain starts the services of every gate among stage and the stages
// it is built from: solving stage runs their tests. Its end releases them.
func (m *serviceManager) startChain(ctx context.Context, gw gateway.Client, graph *llbgen.Graph, stage string) chainServices {
	var out chainServices
	for ps := m.r.opts.Plan.Stage(stage); ps != nil; ps = m.r.opts.Plan.Stage(ps.Base.Stage) {
		if gs := m.start(ctx, gw, graph, ps.Name, "target "+stage); gs != nil {
			out = append(out, gs)
		}
	}
	return out
}

type chainServices []*gateServices

func (c chainServices) end() {
	for _, gs := range c {
		gs.end()
	}
}

// secret serves a gate's env file (ok false for any other id). It blocks
// until the gate's services are ready: the secret is read when the test
// really runs, so a cached verdict never waits for them.
func (m *serviceManager) secret(ctx context.Context, id string) ([]byte, bool, error) {
	if m == nil || !strings.HasPrefix(id, llbgen.ServicesSecretID("")) {
		return nil, false, nil
	}
	m.mu.Lock()
	var gs *gateServices
	if all := m.gates[id]; len(all) > 0 {
		gs = all[0]
	}
	m.mu.Unlock()
	if gs == nil {
		return nil, false, nil
	}
	b, err := gs.envFile(ctx)
	return b, true, err
}
