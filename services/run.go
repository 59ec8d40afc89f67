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
	// pending is a readiness command still running.
	pending chan readyResult
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
	s.ports = map[string]int{}
	for _, p := range s.svc.Ports {
		port, release, err := m.opts.Ports.Allocate()
		if err != nil {
			fail("%v", err)
			return
		}
		cleanup = append(cleanup, release)
		s.ports[p.Name] = port
	}
	env := s.environ(cfg.Env, deps)
	args := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if len(s.svc.Command) > 0 {
		args = argv(s.svc.Command, s.svc.Shell)
	}
	if len(args) == 0 {
		fail("its image has no entrypoint or cmd, and the service no command:")
		return
	}
	started := fmt.Sprintf("[service %s for %s] %s%s", s.svc.Name, gate, strings.Join(args, " "), s.describePorts())
	vtx.rename(started)
	// Plain progress prints a vertex's name once, when it appears: a log
	// line carries the command and ports into every mode.
	vtx.logf([]byte(started + "\n"))
	ctr, err := sess.Container(ctx, ref)
	if err != nil {
		fail("creating its container: %v", err)
		return
	}
	cleanup = append(cleanup, func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = ctr.Release(rctx)
	})
	out := &vertexWriter{log: s.log, vtx: vtx}
	proc, err := ctr.Start(ctx, gateway.StartRequest{Args: args, Env: env, Cwd: cfg.WorkingDir, User: cfg.User, Stdout: out, Stderr: out})
	if err != nil {
		fail("starting %q: %v", strings.Join(args, " "), err)
		return
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	if why := s.awaitReady(ctx, ctr, env, cfg.WorkingDir, cfg.User, exited); why != "" {
		fail("%s", why)
		return
	}
	vtx.done(nil)
	close(s.ready)
	<-ctx.Done()
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
