package build

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/report"
)

// GateResult is the verdict of one gate.
type GateResult struct {
	Gate string
	// Platform is the platform the gate ran for in a multi-platform
	// build ("linux/arm64"); "" in a single-platform one.
	Platform string
	Command  string
	Advisory bool
	Passed   bool
	ExitCode int
	Duration time.Duration
	// Log is the tail of the test command's output.
	Log []string
	// ReportsDir is where the gate's reports were written on the host.
	ReportsDir string
	// Summary is parsed from the JUnit XML among the reports, if any.
	Summary *report.Summary
	// Infra is set when an advisory gate's test failed for an
	// infrastructure reason: no verdict, nothing cached (infra.go). A
	// blocking gate's fails the build instead.
	Infra *InfraError
}

// Name is the gate's name, with its platform in a multi-platform build:
// "tests (linux/arm64)".
func (g *GateResult) Name() string {
	if g.Platform == "" {
		return g.Gate
	}
	return g.Gate + " (" + g.Platform + ")"
}

// Blocking reports whether the result withholds the export it guards.
func (g *GateResult) Blocking() bool { return !g.Passed && !g.Advisory }

// runGate solves a gate's test command and judges its recorded result. The
// error is for a broken build (the test could not run at all); a failing
// test is a result with Passed false.
func (s *gwSession) runGate(ctx context.Context, name string) (*GateResult, error) {
	start := time.Now()
	ps := s.r.opts.Plan.Stage(name)
	gs := s.graph.Stage(name)
	res := &GateResult{Gate: name, Platform: s.platformID, Advisory: ps.AllowFailure, Command: stepCommand(ps.Steps[len(ps.Steps)-1])}
	// The gate's services start now, beside the rest of its build; its test
	// waits for them, and they go when it ends (package services).
	svc := s.r.svc.Start(ctx, s, name, name)
	defer svc.End()
	if s.r.frontend && len(ps.Services) > 0 {
		var err error
		if gs, err = s.withServicesEnv(ctx, name, svc); err != nil {
			return nil, svc.Explain(err)
		}
	}
	ref, err := s.solve(ctx, gs.Result)
	if err != nil {
		if ie := infraFailure(name, err); ie != nil { // not a verdict (infra.go)
			if !ps.AllowFailure {
				return nil, ie
			}
			res.Infra, res.Duration = ie, time.Since(start)
			return res, nil
		}
		return nil, svc.Explain(err)
	}
	exit, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: path.Join(llbgen.OutputDir, "exit")})
	if err != nil {
		return nil, fmt.Errorf("gate %s: reading the test result: %w", name, err)
	}
	res.ExitCode, err = strconv.Atoi(strings.TrimSpace(string(exit)))
	if err != nil {
		return nil, fmt.Errorf("gate %s: malformed exit code %q", name, exit)
	}
	res.Passed = res.ExitCode == 0
	if log, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: path.Join(llbgen.OutputDir, "log")}); err == nil {
		res.Log = tailLines(string(log), logTailLines)
	}
	if gs.Reports != nil {
		rref, err := s.solve(ctx, *gs.Reports)
		switch {
		case err == nil && s.r.frontend:
			err = parseReports(ctx, rref, llbgen.OutputDir, res) // frontend.go
		case err == nil:
			err = s.r.collectReports(ctx, rref, res) // reports.go
		}
		if err != nil {
			return nil, fmt.Errorf("gate %s: collecting reports from %s: %w", name, ps.Reports, err)
		}
	}
	res.Duration = time.Since(start)
	if res.Summary != nil && res.Summary.Time > 0 {
		res.Duration = time.Duration(res.Summary.Time * float64(time.Second))
	}
	if !res.Passed { // stagebuild debug: a shell while the services run (debug.go)
		if err := s.debugGate(ctx, res, svc); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func stepCommand(s plan.Step) string {
	if s.Shell {
		return s.Args[0]
	}
	b, _ := json.Marshal(s.Args)
	return string(b)
}

func tailLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// cacheImports are the build's --cache-from entries, which the client hands
// to the build function as the "cache-imports" option: every solve must
// name them, or the imported cache is never consulted.
func cacheImports(gw gateway.Client) ([]gateway.CacheOptionsEntry, error) {
	raw := gw.BuildOpts().Opts["cache-imports"]
	if raw == "" {
		return nil, nil
	}
	var entries []gateway.CacheOptionsEntry
	if err := json.Unmarshal([]byte(raw), &entries); err != nil {
		return nil, fmt.Errorf("decoding cache-imports: %w", err)
	}
	return entries, nil
}
