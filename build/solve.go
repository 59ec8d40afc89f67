package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/identity"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/stagebuild/stagebuild/cache"
	"github.com/stagebuild/stagebuild/llbgen"
)

// DefaultReportsDir is where gate reports go when Options.ReportsDir is
// empty: one subdirectory per gate.
const DefaultReportsDir = "stagebuild-reports"

// Options configure one build.
type Options struct {
	Plan       *cache.Plan
	ContextDir string
	// Outputs per target stage; a target with none is built but not exported.
	Outputs     map[string][]Output
	Progress    string
	ProgressOut io.Writer
	// Stdout receives outputs with dest=-.
	Stdout   io.Writer
	Platform ocispecs.Platform
	// ReportsDir receives each gate's reports in ReportsDir/<gate>/.
	ReportsDir string
	// RerunTests runs every test command again instead of reusing a cached
	// verdict.
	RerunTests bool
	// CacheFrom and CacheTo are remote cache imports and exports.
	CacheFrom, CacheTo []client.CacheOptionsEntry
}

// TargetResult says what one target produced.
type TargetResult struct {
	Stage    string
	Gates    []string
	Exported []string
	// Digest is the image manifest digest, when an image exporter ran.
	Digest string
	// Checks is the outcome of the stage's image checks, if it has any.
	Checks *CheckReport
}

// Result is what a build did, also when it failed.
type Result struct {
	Targets []TargetResult
	// Gates holds every gate that ran, by name.
	Gates []*GateResult
}

// runner is one invocation: it shares gate verdicts between targets, so a
// gate guarding two targets runs and reports once.
type runner struct {
	opts    Options
	prog    *progress
	localID string
	logs    *logRecorder
	ctxKey  string

	mu    sync.Mutex
	gates map[string]*gateCall
}

type gateCall struct {
	done chan struct{}
	res  *GateResult
	err  error
}

// Run builds every planned target. It returns a *GateError when a gate or
// an image check failed, in which case nothing guarded by it was exported.
func Run(ctx context.Context, c *client.Client, opts Options) (*Result, error) {
	fsys, err := fsutil.NewFS(opts.ContextDir)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", opts.ContextDir, err)
	}
	if opts.ReportsDir == "" {
		opts.ReportsDir = DefaultReportsDir
	}
	prog, err := startProgress(ctx, opts.ProgressOut, opts.Progress)
	if err != nil {
		return nil, fmt.Errorf("--progress: %w", err)
	}
	abs, _ := filepath.Abs(opts.ContextDir)
	// One context identity per invocation, shared by every target's session.
	r := &runner{opts: opts, prog: prog, localID: identity.NewID(), logs: prog.logs, ctxKey: abs, gates: map[string]*gateCall{}}
	targets := opts.Plan.Targets
	results := make([]TargetResult, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		ch := prog.channel()
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = r.runTarget(ctx, c, t, fsys, ch)
		}()
	}
	wg.Wait()
	if perr := prog.wait(); perr != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("progress display: %w", perr)
	}
	out := &Result{Targets: results, Gates: r.gateResults()}
	err = combine(errs)
	var ge *GateError
	if errors.As(err, &ge) {
		for i, e := range errs {
			if errors.As(e, new(*GateError)) {
				ge.Blocked = append(ge.Blocked, targets[i].Stage)
			}
		}
	}
	return out, err
}

func (r *runner) gateResults() []*GateResult {
	var out []*GateResult
	for _, c := range r.gates {
		if c.res != nil {
			out = append(out, c.res)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Gate < out[j].Gate })
	return out
}

// gate runs a gate once per invocation, however many targets it guards.
func (r *runner) gate(ctx context.Context, gw gateway.Client, graph *llbgen.Graph, name string) (*GateResult, error) {
	r.mu.Lock()
	call, ok := r.gates[name]
	if !ok {
		call = &gateCall{done: make(chan struct{})}
		r.gates[name] = call
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
	call.res, call.err = r.runGate(ctx, gw, graph, name)
	close(call.done)
	return call.res, call.err
}

// combine prefers a build error over gate failures (a broken build is the
// thing to fix first) and merges the failures of several targets.
func combine(errs []error) error {
	gate := &GateError{}
	seen := map[string]bool{}
	for _, err := range errs {
		var ge *GateError
		switch {
		case err == nil:
		case errors.As(err, &ge):
			for _, g := range ge.Gates {
				if !seen[g.Gate] {
					seen[g.Gate] = true
					gate.Gates = append(gate.Gates, g)
				}
			}
			gate.Checks = append(gate.Checks, ge.Checks...)
		default:
			return err
		}
	}
	if len(gate.Gates) > 0 || len(gate.Checks) > 0 {
		return gate
	}
	return nil
}

func (r *runner) runTarget(ctx context.Context, c *client.Client, t cache.Target, fsys fsutil.FS,
	ch chan *client.SolveStatus) (TargetResult, error) {
	res := TargetResult{Stage: t.Stage, Gates: t.Gates}
	var exports []client.ExportEntry
	var pend []*pending
	defer func() {
		for _, p := range pend {
			p.discard()
		}
	}()
	for _, o := range r.opts.Outputs[t.Stage] {
		e, p, err := exportEntry(o, r.opts.Stdout)
		if err != nil {
			close(ch)
			return res, err
		}
		exports = append(exports, e)
		if p != nil {
			pend = append(pend, p)
		}
	}
	var names []string
	for _, x := range r.opts.Plan.Targets {
		names = append(names, x.Stage)
	}
	so := client.SolveOpt{
		Exports:      exports,
		CacheExports: cacheForTarget(r.opts.CacheTo, t.Stage, names, true),
		CacheImports: presentImports(cacheForTarget(r.opts.CacheFrom, t.Stage, names, false)),
		LocalMounts:  map[string]fsutil.FS{llbgen.ContextName: fsys},
		// Non-nil: BuildKit's client copies cache-import attrs into a clone
		// of this map, and a clone of nil is nil (a panic with --cache-from).
		FrontendAttrs: map[string]string{},
	}
	// The gateway function's error crosses the daemon and comes back as
	// text, so a gate failure is also kept here, with its type.
	// The same goes for the wrapping that says what failed, which the
	// daemon drops in favour of the innermost gRPC status.
	var gateErr *GateError
	var fnErr error
	build := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		out, checks, err := r.gatedBuild(ctx, gw, t)
		res.Checks = checks
		fnErr = err
		errors.As(err, &gateErr)
		return out, err
	}
	resp, err := c.Build(ctx, so, "stagebuild", build, ch)
	if err != nil {
		if fnErr != nil && gateErr == nil && ctx.Err() == nil {
			return res, fnErr
		}
		if gateErr != nil {
			if len(so.CacheExports) > 0 {
				if cerr := r.exportCacheOnly(ctx, c, so, t); cerr != nil {
					fmt.Fprintf(r.opts.ProgressOut, "stagebuild: warning: exporting the build cache of %s after its failed gate: %v\n", t.Stage, cerr)
				}
			}
			return res, gateErr
		}
		return res, err
	}
	for _, p := range pend {
		if err := p.commit(); err != nil {
			return res, fmt.Errorf("writing %s: %w", p.dest, err)
		}
		res.Exported = append(res.Exported, p.dest)
	}
	pend = nil
	for _, o := range r.opts.Outputs[t.Stage] {
		if o.Type == client.ExporterImage {
			res.Exported = append(res.Exported, describeImageOutput(o))
		}
	}
	res.Digest = resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	return res, nil
}

func describeImageOutput(o Output) string {
	if o.Attrs["push"] == "true" {
		return o.Attrs["name"] + " (pushed)"
	}
	return o.Attrs["name"]
}

// gatedBuild is the gateway function: it solves the target, checks it, and
// runs its gates concurrently, and returns the target's result only if
// every blocking gate and every check passed.
func (r *runner) gatedBuild(ctx context.Context, gw gateway.Client, t cache.Target) (*gateway.Result, *CheckReport, error) {
	graph, err := r.generate(ctx, gw)
	if err != nil {
		return nil, nil, err
	}
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
		if ref, imageErr = r.solveState(ctx, gw, graph, graph.Stage(t.Stage).State); imageErr == nil {
			if checks, imageErr = r.runChecks(ctx, gw, graph, t.Stage, ref); imageErr != nil {
				checks = nil // incomplete: the error says why
			}
		}
	}()
	for i, g := range t.Gates {
		go func() { defer wg.Done(); gates[i], gateErrs[i] = r.gate(ctx, gw, graph, g) }()
	}
	wg.Wait()
	if err := combine(append([]error{imageErr}, gateErrs...)); err != nil {
		return nil, checks, err
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
		return nil, checks, ge
	}
	cfg, err := json.Marshal(graph.Stage(t.Stage).Config)
	if err != nil {
		return nil, checks, err
	}
	out := gateway.NewResult()
	out.SetRef(ref)
	out.AddMeta(exptypes.ExporterImageConfigKey, cfg)
	return out, checks, nil
}

// exportCacheOnly exports the build cache of a target whose gate failed: it
// solves the (by now cached) target and its gates again, with no exporter,
// so the dependency layers and the recorded verdicts reach the remote
// cache and the next run does not reinstall everything.
func (r *runner) exportCacheOnly(ctx context.Context, c *client.Client, so client.SolveOpt, t cache.Target) error {
	so.Exports = nil
	build := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		graph, err := r.generate(ctx, gw)
		if err != nil {
			return nil, err
		}
		// One result holding the target and the gates' verdicts: a merge,
		// whose inputs' chains a mode=max export includes.
		states := []llb.State{graph.Stage(t.Stage).State}
		for _, g := range t.Gates {
			states = append(states, graph.Stage(g).Result)
		}
		ref, err := r.solveState(ctx, gw, graph, llb.Merge(states, llb.WithCustomName("[internal] cache export after a failed gate")))
		if err != nil {
			return nil, err
		}
		out := gateway.NewResult()
		out.SetRef(ref)
		return out, nil
	}
	_, err := c.Build(ctx, so, "stagebuild", build, r.prog.channel())
	return err
}

// generate resolves the base images and turns the plan into LLB.
func (r *runner) generate(ctx context.Context, gw gateway.Client) (*llbgen.Graph, error) {
	bases, err := resolveBases(ctx, gw, r.opts.Plan, r.opts.Platform)
	if err != nil {
		return nil, err
	}
	return llbgen.Generate(r.opts.Plan, llbgen.Options{
		Platform: r.opts.Platform, Bases: bases, SharedKeyHint: r.ctxKey, LocalUniqueID: r.localID,
		RerunTests: r.opts.RerunTests,
	})
}
