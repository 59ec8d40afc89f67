package services

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// run is one service's container in one build session.
type run struct {
	svc   *plan.Service
	users map[string]bool // the gates that still need it
	// cancel stops it; nil until it is started. stopped says that it was
	// stopped because no gate needs it any more.
	cancel  context.CancelFunc
	stopped atomic.Bool
	parent  context.Context // the session's: done on an interrupt
	ready   chan struct{}   // closed once it is ready, or err is set
	err     error
	ports   map[string]int // by port name, set before it starts
	log     *LogTail
	done    chan struct{} // closed once its container is released
}

// run starts the service once the services it needs are ready, waits until
// it is ready, and releases its container when ctx ends.
func (s *run) run(ctx context.Context, m *Manager, sess Session, gate string, deps []*run) {
	defer close(s.done)
	s.log = &LogTail{}
	var cleanup []func()
	defer func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}()
	vtx := newVertex(m.opts.Progress(), fmt.Sprintf("[service %s for %s] start", s.svc.Name, gate))
	fail := func(format string, args ...any) {
		reason := fmt.Sprintf(format, args...)
		if ctx.Err() != nil {
			reason = "interrupted while starting: " + ctx.Err().Error()
		}
		s.err = &Error{Service: s.svc.Name, Gate: gate, Reason: reason, Log: s.log.Tail(LogLines)}
		if s.stopped.Load() && s.parent.Err() == nil {
			// Its gates ended before it was ready, e.g. on a cached verdict.
			vtx.rename(fmt.Sprintf("[service %s for %s] not needed: its gates ended first", s.svc.Name, gate))
			vtx.done(nil)
		} else {
			vtx.done(s.err)
		}
		close(s.ready)
	}
	// The session's probe starts while the services it needs and its
	// image come up.
	type probed struct {
		p   *Probe
		err error
	}
	pch := make(chan probed, 1)
	go func() { p, err := sess.Probe(ctx); pch <- probed{p, err} }()
	for _, d := range deps {
		select {
		case <-d.ready:
			if d.err != nil {
				fail("it needs service %q, which did not come up", d.svc.Name)
				return
			}
		case <-ctx.Done():
			fail("")
			return
		}
	}
	ref, cfg, err := sess.Image(ctx, s.svc.Name)
	if err != nil {
		fail("%v", err)
		return
	}
	var pr *probed
	probe := func() (*Probe, error) {
		if pr == nil {
			p := <-pch
			pr = &p
		}
		return pr.p, pr.err
	}
	args := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if len(s.svc.Command) > 0 {
		args = argv(s.svc.Command, s.svc.Shell)
	}
	if len(args) == 0 {
		fail("its image has no entrypoint or cmd, and the service no command:")
		return
	}
	for attempt := 1; ; attempt++ {
		why, clash, release := s.attempt(ctx, probe, sess, ref, cfg, args, vtx, gate, deps)
		cleanup = append(cleanup, release)
		if why == "" {
			break
		}
		if len(clash) == 0 || attempt == maxAttempts {
			fail("%s", why)
			return
		}
		// Something else took a port between its pick and the service's
		// bind (another process on the daemon's host): new ports.
		vtx.logf([]byte(fmt.Sprintf("[service %s for %s] port %s taken by another process before it started; retrying with new ports\n",
			s.svc.Name, gate, joinInts(clash))))
		release()
		s.log = &LogTail{}
	}
	vtx.done(nil)
	close(s.ready)
	<-ctx.Done()
}

// maxAttempts bounds the starts of a service whose ports others took.
const maxAttempts = 3

// attempt allocates the service's ports on the daemon, starts it in a
// container of its own and waits until it is ready. why is "" when it is;
// clash lists its ports that something else took when it exited before it
// was ready. release frees its container and ports (a ready service keeps
// them until the session's cleanup). The container is made while the
// session's probe starts and picks the ports: neither needs the other.
func (s *run) attempt(ctx context.Context, probe func() (*Probe, error), sess Session, ref gateway.Reference, cfg ocispecs.ImageConfig,
	args []string, vtx *vertex, gate string, deps []*run) (why string, clash []int, release func()) {
	var cleanup []func()
	release = func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
		cleanup = nil
	}
	type made struct {
		ctr gateway.Container
		err error
	}
	mch := make(chan made, 1)
	go func() { c, err := sess.Container(ctx, ref); mch <- made{c, err} }()
	var m *made
	container := func() (gateway.Container, error) {
		if m == nil {
			got := <-mch
			m = &got
		}
		return m.ctr, m.err
	}
	releaseCtr := func() {
		if ctr, err := container(); err == nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = ctr.Release(rctx)
		}
	}
	var ports []int
	prb, err := probe()
	if err == nil {
		if ports, err = prb.Alloc(ctx, len(s.svc.Ports)); err == nil {
			cleanup = append(cleanup, func() { prb.Free(ports...) })
			s.ports = map[string]int{}
			for i, p := range s.svc.Ports {
				s.ports[p.Name] = ports[i]
			}
		}
	}
	// The container goes before its ports are freed.
	cleanup = append(cleanup, releaseCtr)
	if err != nil {
		return err.Error(), nil, release
	}
	env := s.environ(cfg.Env, deps)
	started := fmt.Sprintf("[service %s for %s] %s%s", s.svc.Name, gate, strings.Join(args, " "), s.describePorts())
	vtx.rename(started)
	// Plain progress prints a vertex's name once, when it appears: a log
	// line carries the command and ports into every mode.
	vtx.logf([]byte(started + "\n"))
	ctr, err := container()
	if err != nil {
		return fmt.Sprintf("creating its container: %v", err), nil, release
	}
	out := &vertexWriter{log: s.log, vtx: vtx}
	proc, err := ctr.Start(ctx, gateway.StartRequest{Args: args, Env: env, Cwd: cfg.WorkingDir, User: cfg.User, Stdout: out, Stderr: out})
	if err != nil {
		return fmt.Sprintf("starting %q: %v", strings.Join(args, " "), err), nil, release
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	why, early := s.awaitReady(ctx, prb, ctr, env, cfg.WorkingDir, cfg.User, exited)
	if early && ctx.Err() == nil {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		clash, _ = prb.Taken(tctx, ports...)
		cancel()
	}
	return why, clash, release
}

func joinInts(ns []int) string {
	var parts []string
	for _, n := range ns {
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, ", ")
}

// environ is the service's env: the image's, its ports, then its own env
// with the ports of the services it needs filled in.
func (s *run) environ(image []string, deps []*run) []string {
	env := append([]string(nil), image...)
	for _, p := range s.svc.Ports {
		env = append(env, p.Env+"="+strconv.Itoa(s.ports[p.Name]))
	}
	ports := map[string]map[string]int{s.svc.Name: s.ports}
	for _, d := range deps {
		ports[d.svc.Name] = d.ports
	}
	for _, e := range s.svc.Env {
		v := plan.ExpandServices(e.Value, func(svc, port string) string { return strconv.Itoa(ports[svc][port]) })
		v = os.Expand(v, func(name string) string { return lookupEnv(env, name) })
		env = append(env, e.Key+"="+v)
	}
	return env
}

func (s *run) describePorts() string {
	var parts []string
	for _, p := range s.svc.Ports {
		parts = append(parts, fmt.Sprintf("%s=%s:%d", p.Name, plan.ServiceHost, s.ports[p.Name]))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func argv(args []string, shell bool) []string {
	if shell {
		return []string{"/bin/sh", "-c", args[0]}
	}
	return args
}
