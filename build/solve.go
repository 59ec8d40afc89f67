package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/identity"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/stagebuild/stagebuild/cache"
	"github.com/stagebuild/stagebuild/llbgen"
)

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

	localID string
}

// TargetResult says what one target produced.
type TargetResult struct {
	Stage    string
	Gates    []string
	Exported []string
	// Digest is the image manifest digest, when an image exporter ran.
	Digest string
}

// Result is a successful build.
type Result struct {
	Targets []TargetResult
}

// Run builds every planned target. It returns a *GateError when a gate
// failed, in which case nothing guarded by that gate was exported.
func Run(ctx context.Context, c *client.Client, opts Options) (*Result, error) {
	fsys, err := fsutil.NewFS(opts.ContextDir)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", opts.ContextDir, err)
	}
	prog, err := startProgress(ctx, opts.ProgressOut, opts.Progress)
	if err != nil {
		return nil, fmt.Errorf("--progress: %w", err)
	}
	// One context identity per invocation, shared by every target's session.
	opts.localID = identity.NewID()
	targets := opts.Plan.Targets
	results := make([]TargetResult, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		ch := prog.channel()
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = runTarget(ctx, c, opts, t, fsys, ch, prog.logs)
		}()
	}
	wg.Wait()
	if perr := prog.wait(); perr != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("progress display: %w", perr)
	}
	err = combine(errs)
	var ge *GateError
	if errors.As(err, &ge) {
		for i, e := range errs {
			if errors.As(e, new(*GateError)) {
				ge.Blocked = append(ge.Blocked, targets[i].Stage)
			}
		}
	}
	return &Result{Targets: results}, err
}

// combine prefers a build error over gate failures (a broken build is the
// thing to fix first) and merges the failures of several gates.
func combine(errs []error) error {
	gate := &GateError{}
	seen := map[string]bool{}
	for _, err := range errs {
		var ge *GateError
		switch {
		case err == nil:
		case errors.As(err, &ge):
			for _, f := range ge.Failures {
				if !seen[f.Gate] {
					seen[f.Gate] = true
					gate.Failures = append(gate.Failures, f)
				}
			}
		default:
			return err
		}
	}
	if len(gate.Failures) > 0 {
		return gate
	}
	return nil
}

func runTarget(ctx context.Context, c *client.Client, opts Options, t cache.Target, fsys fsutil.FS,
	ch chan *client.SolveStatus, logs *logRecorder) (TargetResult, error) {
	res := TargetResult{Stage: t.Stage, Gates: t.Gates}
	var exports []client.ExportEntry
	var pend []*pending
	defer func() {
		for _, p := range pend {
			p.discard()
		}
	}()
	for _, o := range opts.Outputs[t.Stage] {
		e, p, err := exportEntry(o, opts.Stdout)
		if err != nil {
			close(ch)
			return res, err
		}
		exports = append(exports, e)
		if p != nil {
			pend = append(pend, p)
		}
	}
	abs, _ := filepath.Abs(opts.ContextDir)
	so := client.SolveOpt{
		Exports:     exports,
		LocalMounts: map[string]fsutil.FS{llbgen.ContextName: fsys},
	}
	// The gateway function's error crosses the daemon and comes back as
	// text, so a gate failure is also kept here, with its type.
	var gateErr *GateError
	build := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		r, err := gatedBuild(ctx, gw, opts, t, abs, logs)
		errors.As(err, &gateErr)
		return r, err
	}
	resp, err := c.Build(ctx, so, "stagebuild", build, ch)
	if err != nil {
		if gateErr != nil {
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
	for _, o := range opts.Outputs[t.Stage] {
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

// gatedBuild is the gateway function: it solves the target and its gates
// concurrently and returns the target's result only if every gate passed.
func gatedBuild(ctx context.Context, gw gateway.Client, opts Options, t cache.Target, contextKey string,
	logs *logRecorder) (*gateway.Result, error) {
	bases, err := resolveBases(ctx, gw, opts.Plan, opts.Platform)
	if err != nil {
		return nil, err
	}
	graph, err := llbgen.Generate(opts.Plan, llbgen.Options{
		Platform: opts.Platform, Bases: bases, SharedKeyHint: contextKey, LocalUniqueID: opts.localID,
	})
	if err != nil {
		return nil, err
	}
	solve := func(stage string) (gateway.Reference, error) {
		def, err := graph.Marshal(ctx, stage)
		if err != nil {
			return nil, err
		}
		r, err := gw.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
		if err != nil {
			return nil, asGateFailure(err, opts.Plan.Stage(stage), def, logs)
		}
		return r.SingleRef()
	}
	var (
		wg       sync.WaitGroup
		ref      gateway.Reference
		imageErr error
		gateErrs = make([]error, len(t.Gates))
	)
	wg.Add(1 + len(t.Gates))
	go func() { defer wg.Done(); ref, imageErr = solve(t.Stage) }()
	for i, g := range t.Gates {
		go func() { defer wg.Done(); _, gateErrs[i] = solve(g) }()
	}
	wg.Wait()
	if err := combine(append([]error{imageErr}, gateErrs...)); err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(graph.Stage(t.Stage).Config)
	if err != nil {
		return nil, err
	}
	out := gateway.NewResult()
	out.SetRef(ref)
	out.AddMeta(exptypes.ExporterImageConfigKey, cfg)
	return out, nil
}
