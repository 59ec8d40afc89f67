package build

import (
	"context"
	"encoding/json"
	"sort"
	"sync"

	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/plan"
)

// gatedBuild is the gateway function: it solves the target, checks it, and
// runs its gates concurrently, and returns the target's result only if
// every blocking gate and every check passed. With several platforms
// (Options.Platforms) each is built, checked and gated on its own, and the
// result holds one ref per platform (multiplatform.go).
func (r *runner) gatedBuild(ctx context.Context, gw gateway.Client, t plan.Target) (*gateway.Result, *CheckReport, error) {
	if len(r.opts.Platforms) > 1 {
		return r.gatedMulti(ctx, gw, t)
	}
	pb, err := r.gatedPlatform(ctx, gw, t, r.opts.Platform, "")
	if err != nil {
		return nil, pb.checks, err
	}
	out := gateway.NewResult()
	out.SetRef(pb.ref)
	out.AddMeta(exptypes.ExporterImageConfigKey, pb.config)
	return out, pb.checks, nil
}

// platformBuild is one platform's gated image: its ref and image config,
// and the outcome of its checks.
type platformBuild struct {
	ref    gateway.Reference
	config []byte
	checks *CheckReport
}

// gatedPlatform builds, checks and gates t for one platform. id is the
// platform's ID in a multi-platform build, "" in a single-platform one; it
// names the platform in gate verdicts and check reports.
func (r *runner) gatedPlatform(ctx context.Context, gw gateway.Client, t plan.Target, platform ocispecs.Platform, id string) (platformBuild, error) {
	var pb platformBuild
	s := &gwSession{r: r, gw: gw, platform: platform, platformID: id}
	defer s.closeProbe()
	if r.needsProbe(t) {
		// The probe's container starts while the graph is made and the
		// images build: a service's start waits for its ports.
		go func() { _, _ = s.Probe(ctx) }()
	}
	var err error
	if s.graph, err = s.generate(ctx, nil); err != nil {
		return pb, err
	}
	if r.frontend {
		// A frontend's target built from gates with services gets their
		// env before its solve (frontend.go).
		chain, err := s.chainServicesEnv(ctx, t.Stage)
		defer chain.End()
		if err != nil {
			return pb, err
		}
	}
	// The gates' services run until the last gate of this session that
	// needs them ends (package services).
	r.svc.Claim(s, t.Gates)
	defer r.svc.Unclaim(s, t.Gates...)
	var (
		wg       sync.WaitGroup
		ref      gateway.Reference
		checks   *CheckReport
		imageErr error
		gates    = make([]*GateResult, len(t.Gates))
		gateErrs = make([]error, len(t.Gates))
	)
	wg.Add(1 + len(t.Gates))
	go func() {
		defer wg.Done()
		// A gate among the target's own stages runs its test in this solve
		// (a frontend started their services above).
		if !r.frontend {
			defer r.svc.StartChain(ctx, s, t.Stage).End()
		}
		if ref, imageErr = s.solve(ctx, s.graph.Stage(t.Stage).State); imageErr == nil {
			if checks, imageErr = s.runChecks(ctx, t.Stage, ref); imageErr != nil {
				checks = nil // incomplete: the error says why
			}
		}
	}()
	for i, g := range t.Gates {
		go func() { defer wg.Done(); gates[i], gateErrs[i] = s.gate(ctx, g) }()
	}
	wg.Wait()
	if checks != nil {
		checks.Platform = id
	}
	pb.checks = checks
	if err := combine(append([]error{imageErr}, gateErrs...)); err != nil {
		return pb, onPlatform(err, id)
	}
	ge := &GateError{}
	for _, g := range gates {
		if g.Blocking() {
			ge.Gates = append(ge.Gates, g)
		}
	}
	if checks != nil && len(checks.Failures) > 0 {
		ge.Checks = append(ge.Checks, *checks)
	}
	if len(ge.Gates) > 0 || len(ge.Checks) > 0 {
		return pb, ge
	}
	img := s.graph.Stage(t.Stage).Config
	for k, v := range r.opts.Labels {
		if img.Config.Labels == nil {
			img.Config.Labels = map[string]string{}
		}
		img.Config.Labels[k] = v
	}
	if pb.config, err = json.Marshal(img); err != nil {
		return pb, err
	}
	pb.ref = ref
	return pb, nil
}

// generate resolves the base images for the session's platform and turns
// the plan into LLB, with the services env files of some gates handed to
// their tests in the proxy env (llbgen.Options.ServicesEnv; nil for none).
func (s *gwSession) generate(ctx context.Context, servicesEnv map[string][]byte) (*llbgen.Graph, error) {
	r := s.r
	bases, err := resolveBases(ctx, s.gw, r.opts.Plan, s.platform, r.opts.Pull)
	if err != nil {
		return nil, err
	}
	var caFile []byte
	if r.frontend { // no session secret: the bundle is a file (llbgen.Options.CAFile)
		caFile = r.opts.Host.CABundle
	}
	return llbgen.Generate(r.opts.Plan, llbgen.Options{
		Platform: s.platform, Bases: bases, SharedKeyHint: r.ctxKey, LocalUniqueID: r.localID, SessionID: r.sessionID,
		RerunTests: r.opts.RerunTests, NoCache: r.opts.NoCache, NoCacheStages: r.opts.NoCacheStages,
		Pull: r.opts.Pull, CA: r.opts.Host.hasCA(), Proxy: r.opts.Host.proxy(), ProxySecrets: r.opts.Host.proxySecretNames(), Created: r.opts.Host.SourceDateEpoch,
		ServicesEnv: servicesEnv, CAFile: caFile,
	})
}

// gate runs a gate once per invocation and platform, however many targets
// it guards.
func (s *gwSession) gate(ctx context.Context, name string) (*GateResult, error) {
	r := s.r
	key := name + "@" + s.platformID
	r.mu.Lock()
	call, ok := r.gates[key]
	if !ok {
		call = &gateCall{done: make(chan struct{})}
		r.gates[key] = call
	}
	r.mu.Unlock()
	if ok {
		select {
		case <-call.done:
			return call.res, call.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	call.res, call.err = s.runGate(ctx, name)
	close(call.done)
	return call.res, call.err
}

func (r *runner) gateResults() []*GateResult {
	var out []*GateResult
	for _, c := range r.gates {
		if c.res != nil {
			out = append(out, c.res)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Gate != out[j].Gate {
			return out[i].Gate < out[j].Gate
		}
		return out[i].Platform < out[j].Platform
	})
	return out
}
