package build

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"

	"github.com/stagebuild/stagebuild/internal/probebin"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/services"
)

// probeLocks is the cache mount every build on a daemon shares for the
// probes' port locks, so two builds on one daemon never get the same port.
const probeLocks = "stagebuild-probe-ports"

// probeOnce is a session's probe, started on first use.
type probeOnce struct {
	mu   sync.Mutex
	p    *services.Probe
	ctr  gateway.Container
	err  error
	done bool
	// closed: the session ended; no probe starts any more.
	closed bool
}

// Probe starts, once per session, the stagebuild-probe program in a
// gateway container on the daemon's default network, where the services
// and smoke containers run (services.Session). Its filesystem is only the
// program (package probebin), plus the shared lock directory; it is no
// part of any output.
func (s *gwSession) Probe(ctx context.Context) (*services.Probe, error) {
	o := &s.probe
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, errors.New("the build session has ended")
	}
	if o.done {
		return o.p, o.err
	}
	o.done = true
	o.p, o.ctr, o.err = s.startProbe(ctx)
	return o.p, o.err
}

func (s *gwSession) startProbe(ctx context.Context) (*services.Probe, gateway.Container, error) {
	// The probe outlives the request that started it (a service whose
	// gate ended may have asked first): the session's end stops it.
	pctx := context.WithoutCancel(ctx)
	def, err := probebin.State().Marshal(pctx)
	if err != nil {
		return nil, nil, err
	}
	sctx, cancel := context.WithTimeout(pctx, 2*time.Minute)
	defer cancel()
	res, err := s.gw.Solve(sctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, nil, fmt.Errorf("sending the probe to the daemon: %w", err)
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, nil, err
	}
	ctr, err := s.gw.NewContainer(sctx, gateway.NewContainerRequest{
		Mounts: []gateway.Mount{
			{Dest: "/", Ref: ref, MountType: pb.MountType_BIND},
			{Dest: "/locks", MountType: pb.MountType_CACHE, CacheOpt: &pb.CacheOpt{ID: probeLocks, Sharing: pb.CacheSharingOpt_SHARED}},
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("starting the probe's container: %w", err)
	}
	p, err := services.StartProbe(pctx, ctr, []string{probebin.Path, "-locks", "/locks"})
	if err != nil {
		releaseContainer(ctr)
		return nil, nil, err
	}
	return p, ctr, nil
}

// needsProbe reports whether t's session will need the probe: the target
// has a smoke check, or a gate it runs (its own or among its stages) has
// services.
func (r *runner) needsProbe(t plan.Target) bool {
	pl := r.opts.Plan
	if st := pl.Stage(t.Stage); st != nil && st.Checks != nil && st.Checks.Smoke != nil {
		return true
	}
	for _, g := range t.Gates {
		if st := pl.Stage(g); st != nil && len(st.Services) > 0 {
			return true
		}
	}
	for st := pl.Stage(t.Stage); st != nil; st = pl.Stage(st.Base.Stage) {
		if len(st.Services) > 0 {
			return true
		}
	}
	return false
}

// closeProbe ends the session's probe, if it was started.
func (s *gwSession) closeProbe() {
	o := &s.probe
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p != nil {
		o.p.Close()
	}
	if o.ctr != nil {
		releaseContainer(o.ctr)
	}
	o.p, o.ctr = nil, nil
	o.closed = true
}

func releaseContainer(ctr gateway.Container) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = ctr.Release(ctx)
}
