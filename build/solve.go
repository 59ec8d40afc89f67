package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/identity"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
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
	// Secrets and SSH are --secret and --ssh.
	Secrets []Secret
	SSH     []sshprovider.AgentConfig
	// InternalSecrets are secrets stagebuild itself mounts, by id.
	InternalSecrets map[string][]byte
	// Pull resolves every base image from its registry.
	Pull bool
	// NoCache runs every step again; NoCacheStages only those stages'.
	NoCache       bool
	NoCacheStages []string
	// Labels are added to every exported image's config.
	Labels map[string]string
	// Debug, when set, opens a container on the first failed gate (debug.go).
	Debug *Debug
	// Host holds the trusted CAs, proxy, SOURCE_DATE_EPOCH and provenance
	// request (host.go).
	Host HostConfig
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
	// Response is BuildKit's exporter response (digests, image names).
	Response map[string]string
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
	// svc runs the services beside the gates (services.go).
	svc *serviceManager
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
	if err := CheckMounts(opts.Plan, opts.Secrets, opts.SSH); err != nil {
		return nil, err
	}
	opts = opts.Host.apply(opts)
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
	r.svc = newServiceManager(r)
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
	err = r.withTLSHint(combine(errs))
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
	loaded := false
	defer func() {
		for _, p := range pend {
			p.discard()
		}
		if !loaded { // --load's temporary tarballs, when the build failed
			for _, o := range r.opts.Outputs[t.Stage] {
				if o.Load {
					os.RemoveAll(filepath.Dir(o.Dest()))
				}
			}
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
	attach, err := r.attachables()
	if err != nil {
		close(ch)
		return res, err
	}
	so := client.SolveOpt{
		Session:      attach,
		Exports:      exports,
		CacheExports: cacheForTarget(r.opts.CacheTo, t.Stage, names, true),
		CacheImports: presentImports(cacheForTarget(r.opts.CacheFrom, t.Stage, names, false)),
		LocalMounts:  map[string]fsutil.FS{llbgen.ContextName: fsys},
		// Non-nil: BuildKit's client copies cache-import attrs into a clone
		// of this map, and a clone of nil is nil (a panic with --cache-from).
		FrontendAttrs: r.opts.Host.frontendAttrs(),
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
	}
	pend = nil
	for _, o := range r.opts.Outputs[t.Stage] {
		switch {
		case o.Load:
			if err := dockerLoad(ctx, o.Dest()); err != nil {
				return res, err
			}
			loaded = true
			res.Exported = append(res.Exported, o.Attrs["name"]+" (loaded into docker)")
		case o.Type == client.ExporterImage:
			res.Exported = append(res.Exported, describeImageOutput(o))
		case o.Dest() == "-":
			res.Exported = append(res.Exported, "stdout")
		default:
			abs, _ := filepath.Abs(o.Dest())
			res.Exported = append(res.Exported, abs)
		}
	}
	res.Response = resp.ExporterResponse
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
	// The gates' services run until the last gate of this session that
	// needs them ends (services.go).
	r.svc.claim(gw, t.Gates)
	defer r.svc.unclaim(gw, t.Gates...)
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
		// A gate among the target's own stages runs its test in this solve.
		defer r.svc.startChain(ctx, gw, graph, t.Stage).end()
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
	img := graph.Stage(t.Stage).Config
	for k, v := range r.opts.Labels {
		if img.Config.Labels == nil {
			img.Config.Labels = map[string]string{}
		}
		img.Config.Labels[k] = v
	}
	cfg, err := json.Marshal(img)
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
	bases, err := resolveBases(ctx, gw, r.opts.Plan, r.opts.Platform, r.opts.Pull)
	if err != nil {
		return nil, err
	}
	return llbgen.Generate(r.opts.Plan, llbgen.Options{
		Platform: r.opts.Platform, Bases: bases, SharedKeyHint: r.ctxKey, LocalUniqueID: r.localID,
		RerunTests: r.opts.RerunTests, NoCache: r.opts.NoCache, NoCacheStages: r.opts.NoCacheStages,
		Pull: r.opts.Pull, CA: r.opts.Host.hasCA(), Proxy: r.opts.Host.proxy(), Created: r.opts.Host.SourceDateEpoch,
	})
}
