package services

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/plan"
)

// Error is a service that did not come up for a gate: it timed out,
// exited, or could not start. Log holds its last output lines.
type Error struct {
	Service string
	Gate    string
	Reason  string
	Log     []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("service %q (for gate %q): %s", e.Service, e.Gate, e.Reason)
}

// LogLines is how many of a failed service's last output lines an Error
// keeps.
const LogLines = 30

// releaseWait bounds how long a gate's end waits for its services'
// containers to be released.
const releaseWait = 15 * time.Second

// Options configure a Manager.
type Options struct {
	// Progress returns a status channel for one of the Manager's own
	// progress entries (a service starting); the Manager closes it.
	Progress func() chan *client.SolveStatus
}

// Manager starts the services of one invocation's gates and releases
// them. Each build session (target) has its own containers, shared by the
// gates it runs: a container goes when the last gate that claimed it ends.
type Manager struct {
	plan *plan.Plan
	opts Options
	mu   sync.Mutex
	// runs are the services of each session, by name.
	runs map[Session]map[string]*run
	// gates serve the env files of the gates whose tests are being solved,
	// by secret id. Two sessions may solve the same test, which BuildKit
	// runs once: either's services serve it.
	gates map[string][]*Gate
}

// New returns a Manager for the services of pl.
func New(pl *plan.Plan, opts Options) *Manager {
	return &Manager{plan: pl, opts: opts, runs: map[Session]map[string]*run{}, gates: map[string][]*Gate{}}
}

// Claim marks the services of gates as needed in sess, so that a service
// two gates share keeps running from the first gate's start to the last
// one's end. A gate's run holds its services under its own name.
func (m *Manager) Claim(sess Session, gates []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range gates {
		for _, name := range m.plan.Stage(g).Services {
			m.runLocked(sess, name).users[g] = true
		}
	}
}

func (m *Manager) runLocked(sess Session, name string) *run {
	if m.runs[sess] == nil {
		m.runs[sess] = map[string]*run{}
	}
	r := m.runs[sess][name]
	if r == nil {
		r = &run{svc: m.plan.Service(name), users: map[string]bool{}, ready: make(chan struct{}), done: make(chan struct{})}
		m.runs[sess][name] = r
	}
	return r
}

// Unclaim drops the claims of holders in sess and releases every service
// nothing holds any more, waiting (boundedly) until it is gone.
func (m *Manager) Unclaim(sess Session, holders ...string) {
	var gone []*run
	m.mu.Lock()
	for name, r := range m.runs[sess] {
		for _, h := range holders {
			delete(r.users, h)
		}
		if len(r.users) == 0 {
			delete(m.runs[sess], name)
			if r.cancel != nil {
				r.stopped.Store(true)
				r.cancel()
				gone = append(gone, r)
			}
		}
	}
	if len(m.runs[sess]) == 0 {
		delete(m.runs, sess)
	}
	m.mu.Unlock()
	for _, r := range gone {
		select {
		case <-r.done:
		case <-time.After(releaseWait):
		}
	}
}

// Start starts the services of a gate that are not running yet, in the
// order of their needs, and serves the gate's env file once they are
// ready, until End. holder names who needs them (the gate's run, or a
// target whose image holds the gate). It returns nil for a gate without
// services.
func (m *Manager) Start(ctx context.Context, sess Session, gate, holder string) *Gate {
	ps := m.plan.Stage(gate)
	if ps == nil || len(ps.Services) == 0 {
		return nil
	}
	gs := &Gate{m: m, sess: sess, gate: gate, holder: holder, stage: ps, env: sess.Env(gate)}
	m.mu.Lock()
	for _, name := range ps.Services {
		r := m.runLocked(sess, name)
		r.users[holder] = true
		if r.cancel == nil {
			var deps []*run
			for _, n := range r.svc.Needs {
				deps = append(deps, m.runs[sess][n])
			}
			var rctx context.Context
			rctx, r.cancel = context.WithCancel(ctx)
			r.parent = ctx
			go r.run(rctx, m, sess, gate, deps)
		}
		gs.runs = append(gs.runs, r)
	}
	id := llbgen.ServicesSecretID(gate)
	m.gates[id] = append(m.gates[id], gs)
	m.mu.Unlock()
	return gs
}

// StartChain starts the services of every gate among stage and the stages
// it is built from: solving stage runs their tests. Its End releases them.
func (m *Manager) StartChain(ctx context.Context, sess Session, stage string) Chain {
	var out Chain
	for ps := m.plan.Stage(stage); ps != nil; ps = m.plan.Stage(ps.Base.Stage) {
		if gs := m.Start(ctx, sess, ps.Name, "target "+stage); gs != nil {
			out = append(out, gs)
		}
	}
	return out
}

// Chain is the services of the gates a stage is built from.
type Chain []*Gate

// End ends every gate's services.
func (c Chain) End() {
	for _, gs := range c {
		gs.End()
	}
}

// Secret serves a gate's env file (ok false for any other id). It blocks
// until the gate's services are ready: the secret is read when the test
// really runs, so a cached verdict never waits for them.
func (m *Manager) Secret(ctx context.Context, id string) ([]byte, bool, error) {
	if m == nil || !strings.HasPrefix(id, llbgen.ServicesSecretID("")) {
		return nil, false, nil
	}
	m.mu.Lock()
	var gs *Gate
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
