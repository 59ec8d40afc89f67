package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/services"
)

// printSummary reports every gate (status, duration, test counts, the
// failing tests), every failed check, and what each target produced. With
// --progress quiet or rawjson it is the only place a human sees why.
func printSummary(s Streams, res *build.Result, outputs map[string][]buildflags.Output, err error) {
	if res != nil {
		for _, g := range res.Gates {
			printGate(s, g)
		}
	}
	var se *services.Error
	if errors.As(err, &se) { // a service did not come up (debug.go)
		printServiceError(s, se)
	}
	var ge *build.GateError
	if errors.As(err, &ge) {
		for _, c := range ge.Checks {
			fmt.Fprintf(s.Err, "------ checks of %s: %d of %d failed ------\n", c.Stage, len(c.Failures), c.Total)
			for _, f := range c.Failures {
				fmt.Fprintf(s.Err, "✗ %s\n", f.String())
			}
			fmt.Fprintln(s.Err, "------")
		}
	}
	if res == nil {
		return
	}
	for _, t := range res.Targets {
		if t.Checks != nil && len(t.Checks.Failures) == 0 {
			fmt.Fprintf(s.Err, "stagebuild: checks of %s: %d passed\n", t.Stage, t.Checks.Total)
		}
	}
	for _, t := range res.Targets {
		if t.Stage == "" || (err != nil && len(t.Exported) == 0) {
			continue
		}
		gates := gateVerdicts(t.Gates, res.Gates)
		switch {
		case len(t.Exported) > 0:
			fmt.Fprintf(s.Err, "stagebuild: %s built (%s) → %s\n", t.Stage, gates, strings.Join(t.Exported, ", "))
		case len(outputs[t.Stage]) == 0:
			fmt.Fprintf(s.Err, "stagebuild: %s built (%s); no output requested, the result stays in the build cache (use -o or -t)\n", t.Stage, gates)
		}
	}
}

// gateVerdicts says how a target's gates ended: the passed ones, and apart
// from them the advisory gates that failed (they did not block the export,
// but they did not pass either).
func gateVerdicts(names []string, results []*build.GateResult) string {
	if len(names) == 0 {
		return "no gates"
	}
	byName := map[string]*build.GateResult{}
	for _, g := range results {
		// With several platforms, a gate that did not pass on one did not
		// pass.
		if prev := byName[g.Gate]; prev == nil || prev.Passed {
			byName[g.Gate] = g
		}
	}
	var passed, advisory, other []string
	for _, n := range names {
		switch g := byName[n]; {
		case g != nil && g.Passed:
			passed = append(passed, n)
		case g != nil && g.Advisory:
			advisory = append(advisory, n)
		default:
			other = append(other, n)
		}
	}
	var parts []string
	if len(passed) > 0 {
		parts = append(parts, "gates passed: "+strings.Join(passed, ", "))
	}
	if len(advisory) > 0 {
		parts = append(parts, "advisory gates FAILED (not blocking): "+strings.Join(advisory, ", "))
	}
	if len(other) > 0 {
		parts = append(parts, "gates not run: "+strings.Join(other, ", "))
	}
	return strings.Join(parts, "; ")
}

func printGate(s Streams, g *build.GateResult) {
	status := "passed"
	switch {
	case !g.Passed && g.Advisory:
		status = "FAILED (advisory, not blocking)"
	case !g.Passed:
		status = "FAILED"
	}
	line := fmt.Sprintf("stagebuild: gate %s %s in %s", g.Name(), status, g.Duration.Round(10*time.Millisecond))
	if sum := g.Summary; sum != nil {
		line += fmt.Sprintf(": %d passed, %d failed, %d errors, %d skipped", sum.Passed, sum.Failed, sum.Errors, sum.Skipped)
	}
	if g.ReportsDir != "" {
		line += " (reports: " + g.ReportsDir + ")"
	}
	fmt.Fprintln(s.Err, line)
	if g.Passed {
		return
	}
	if g.Infra != nil {
		fmt.Fprintf(s.Err, "  ✗ %s\n", g.Infra.Error())
		return
	}
	if sum := g.Summary; sum != nil && len(sum.Failing) > 0 {
		for _, c := range sum.Failing {
			where := c.File
			if where != "" && c.Line > 0 {
				where = fmt.Sprintf("%s:%d", c.File, c.Line)
			}
			name := c.Name
			if c.Class != "" {
				name = c.Class + "::" + c.Name
			}
			fmt.Fprintf(s.Err, "  ✗ %s %s: %s\n", name, where, c.Message)
		}
		return
	}
	fmt.Fprintf(s.Err, "------ gate %s: %s (exit code %d) ------\n", g.Name(), g.Command, g.ExitCode)
	for _, l := range g.Log {
		fmt.Fprintln(s.Err, l)
	}
	fmt.Fprintln(s.Err, "------")
}

// printAnnotations prints GitHub Actions annotations for the failing tests
// of every failed gate, on stdout where the runner reads them, or on stderr
// (which the runner reads too) when an output streams to stdout: a tar on
// stdout must hold nothing but the tar.
func printAnnotations(s Streams, res *build.Result, contextDir string, outputs map[string][]buildflags.Output) {
	if res == nil {
		return
	}
	w := s.Out
	for _, outs := range outputs {
		for _, o := range outs {
			if o.Dest() == "-" {
				w = s.Err
			}
		}
	}
	prefix := filepath.ToSlash(filepath.Clean(contextDir))
	if prefix == "." {
		prefix = ""
	}
	for _, g := range res.Gates {
		if g.Passed || g.Summary == nil {
			continue
		}
		for _, a := range g.Summary.GitHubAnnotations(prefix) {
			fmt.Fprintln(w, a)
		}
	}
}
