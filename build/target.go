package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/tonistiigi/fsutil"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/plan"
)

func (r *runner) runTarget(ctx context.Context, c Client, t plan.Target, fsys fsutil.FS,
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
	outputs := r.opts.Outputs[t.Stage]
	for _, o := range outputs {
		e, p, err := exportEntry(o, r.opts.Stdout)
		if err != nil {
			close(ch)
			return res, err
		}
		if len(outputs) == 1 {
			p.reuseOld(&e, o) // reuse.go
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
	skipped := map[string]bool{} // outputs left as they were (unchanged.go)
	for _, p := range pend {
		if err := p.commit(ctx, resp.ExporterResponse); err != nil {
			return res, fmt.Errorf("writing %s: %w", p.dest, err)
		}
		skipped[p.dest] = p.unchanged.skipped
	}
	pend = nil
	for _, o := range r.opts.Outputs[t.Stage] {
		abs, _ := filepath.Abs(o.Dest())
		switch {
		case o.Load && skipped[abs]:
			res.Exported = append(res.Exported, o.Attrs["name"]+" (already in docker, unchanged)")
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
		case skipped[abs]:
			res.Exported = append(res.Exported, abs+" (unchanged)")
		default:
			res.Exported = append(res.Exported, abs)
		}
	}
	res.Response = resp.ExporterResponse
	res.Digest = resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	return res, nil
}

func describeImageOutput(o buildflags.Output) string {
	if o.Attrs["push"] == "true" {
		return o.Attrs["name"] + " (pushed)"
	}
	return o.Attrs["name"]
}

// exportCacheOnly exports the build cache of a target whose gate failed: it
// solves the (by now cached) target and its gates again, with no exporter,
// so the dependency layers and the recorded verdicts reach the remote
// cache and the next run does not reinstall everything.
func (r *runner) exportCacheOnly(ctx context.Context, c Client, so client.SolveOpt, t plan.Target) error {
	so.Exports = nil
	build := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		out := gateway.NewResult()
		for _, p := range r.platformList() {
			s, err := r.newSession(ctx, gw, p)
			if err != nil {
				return nil, err
			}
			// One result holding the target and the gates' verdicts: a merge,
			// whose inputs' chains a mode=max export includes.
			states := []llb.State{s.graph.Stage(t.Stage).State}
			for _, g := range t.Gates {
				states = append(states, s.graph.Stage(g).Result)
			}
			ref, err := s.solve(ctx, llb.Merge(states, llb.WithCustomName("[internal] cache export after a failed gate")))
			if err != nil {
				return nil, err
			}
			if len(r.opts.Platforms) > 1 {
				out.AddRef(PlatformID(p), ref) // every platform's cache
			} else {
				out.SetRef(ref)
			}
		}
		return out, nil
	}
	_, err := c.Build(ctx, so, "stagebuild", build, r.prog.channel())
	return err
}
