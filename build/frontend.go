package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/identity"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/report"
	"github.com/stagebuild/stagebuild/services"
)

// Frontend runs the gated build of the plan's one target inside a BuildKit
// frontend: gw is the gateway client the daemon handed the frontend, and
// the client's exporters run on the result only once it is returned. The
// gates (with their services), the image checks and the purity check run
// first, exactly as in Run; a failed one returns a *GateError whose text
// names the failing tests, so no client can export an ungated image.
//
// What only Run does stays out: reports are parsed, never copied to a host
// directory; there is no progress display, debug shell or cache export
// after a failed gate. opts.ContextDir, Outputs, ReportsDir and the progress
// fields are ignored.
func Frontend(ctx context.Context, gw gateway.Client, opts Options, sessionID string) (*gateway.Result, error) {
	if len(opts.Plan.Targets) != 1 {
		return nil, fmt.Errorf("the frontend builds one target per solve, the plan has %d", len(opts.Plan.Targets))
	}
	if names := opts.Host.proxySecretNames(); len(names) > 0 {
		return nil, fmt.Errorf("build arg %s carries credentials, which the stagebuild frontend cannot keep out of the build's "+
			"definition (stagebuild build hands them to the steps as secrets): pass a proxy without credentials, or build with `stagebuild build`",
			strings.Join(names, ", "))
	}
	opts = opts.Host.apply(opts).onePlatform()
	prog, err := startProgress(ctx, io.Discard, "quiet")
	if err != nil {
		return nil, err
	}
	r := &runner{opts: opts, prog: prog, localID: identity.NewID(), logs: prog.logs, gates: map[string]*gateCall{},
		frontend: true, sessionID: sessionID}
	r.svc = services.New(opts.Plan, services.Options{Progress: prog.channel})
	res, _, err := r.gatedBuild(ctx, gw, opts.Plan.Targets[0])
	if perr := prog.wait(); perr != nil && err == nil {
		err = perr
	}
	var ge *GateError
	if errors.As(err, &ge) {
		ge.Blocked = []string{opts.Plan.Targets[0].Stage}
		return nil, &FrontendGateError{GateError: ge}
	}
	return res, err
}

// withServicesEnv is, in a frontend, the gate's stage generated again once
// its services are ready, with their env in the test's proxy env
// (llbgen.ServicesEnvProxyVar): a frontend serves no session secrets, and
// the proxy env is, like a secret, in no cache key, so a passing or
// failing verdict is reused whatever ports this run got.
func (s *gwSession) withServicesEnv(ctx context.Context, gate string, svc *services.Gate) (*llbgen.Stage, error) {
	env, err := svc.EnvFile(ctx)
	if err != nil {
		return nil, err
	}
	g, err := s.generate(ctx, map[string][]byte{gate: env})
	if err != nil {
		return nil, err
	}
	return g.Stage(gate), nil
}

// chainServicesEnv is, in a frontend, for a target built from gates with
// services (their tests run in the target's own solve): it starts those
// services, waits until they are ready, and generates the session's graph
// again with their env, before anything of the session is solved. The
// returned chain's End releases them.
func (s *gwSession) chainServicesEnv(ctx context.Context, stage string) (services.Chain, error) {
	chain := s.r.svc.StartChain(ctx, s, stage)
	if len(chain) == 0 {
		return nil, nil
	}
	env := map[string][]byte{}
	for _, gs := range chain {
		b, err := gs.EnvFile(ctx)
		if err != nil {
			return chain, gs.Explain(err)
		}
		env[gs.Name()] = b
	}
	// Every service is ready: none of their goroutines reads the graph
	// any more, and no solve of the session has started.
	g, err := s.generate(ctx, env)
	if err != nil {
		return chain, err
	}
	s.graph = g
	return chain, nil
}

// FrontendGateError is a GateError as the frontend reports it: one message
// that names each failing test (from the gate's JUnit reports, else the
// tail of its log) and each failed image check, because the client only
// ever sees the text.
type FrontendGateError struct{ *GateError }

func (e *FrontendGateError) Error() string {
	var b strings.Builder
	b.WriteString(e.GateError.Error())
	for _, g := range e.Gates {
		if s := g.Summary; s != nil && len(s.Failing) > 0 {
			var names []string
			for _, c := range s.Failing {
				names = append(names, caseName(c))
			}
			fmt.Fprintf(&b, "\ngate %q failing tests: %s", g.Gate, strings.Join(names, ", "))
			continue
		}
		if lines := tailLines(strings.Join(g.Log, "\n"), 15); len(lines) > 0 {
			fmt.Fprintf(&b, "\ngate %q output (last lines):\n  %s", g.Gate, strings.Join(lines, "\n  "))
		}
	}
	for _, c := range e.Checks {
		for _, f := range c.Failures {
			fmt.Fprintf(&b, "\ncheck %s of %q: %s", f.Check, c.Stage, f.Message)
		}
	}
	return b.String()
}

func (e *FrontendGateError) Unwrap() error { return e.GateError }

func caseName(c report.Case) string {
	name := c.Name
	if c.Class != "" {
		name = c.Class + "::" + name
	} else if c.File != "" {
		name = c.File + "::" + name
	}
	return name
}

// parseReports parses the JUnit XML among a gate's reports, read from the
// solved reports directory: the frontend has no host to copy them to.
func parseReports(ctx context.Context, ref gateway.Reference, dir string, res *GateResult) error {
	entries, err := ref.ReadDir(ctx, gateway.ReadDirRequest{Path: dir})
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := path.Base(e.GetPath())
		if name == "." || name == ".." || name == "/" {
			continue
		}
		p := path.Join(dir, name)
		mode := os.FileMode(e.GetMode())
		switch {
		case mode.IsDir():
			if err := parseReports(ctx, ref, p, res); err != nil {
				return err
			}
		case mode.IsRegular() && strings.HasSuffix(name, ".xml"):
			data, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: p})
			if err != nil {
				return err
			}
			one, err := report.Parse(bytes.NewReader(data))
			var nj *report.NotJUnitError
			if errors.As(err, &nj) {
				continue
			}
			if err != nil {
				return fmt.Errorf("parsing JUnit XML %s: %w", strings.TrimPrefix(p, llbgen.OutputDir+"/"), err)
			}
			if res.Summary == nil {
				res.Summary = &report.Summary{}
			}
			res.Summary.Merge(one)
		}
	}
	return nil
}
