package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The services scenario's targets (issues 7 and 14).
const (
	svcReadyTarget    = 300 * time.Millisecond // service ready after Postgres is
	svcOverheadTarget = 2 * time.Second        // gate wall − pytest
)

// sMed and hMed are medians over S's and H's runs, in seconds.
func (sv *svcResult) sMed(f func(svcRun) time.Duration) float64 {
	var xs []float64
	for _, r := range sv.S {
		xs = append(xs, f(r).Seconds())
	}
	return median(xs)
}

func (sv *svcResult) hMed(f func(hostRun) time.Duration) float64 {
	var xs []float64
	for _, r := range sv.H {
		xs = append(xs, f(r).Seconds())
	}
	return median(xs)
}

func (sv *svcResult) sRuns(f func(svcRun) time.Duration) string {
	var xs []string
	for _, r := range sv.S {
		xs = append(xs, fmt.Sprintf("%.2f", f(r).Seconds()))
	}
	return strings.Join(xs, ", ")
}

func (sv *svcResult) hRuns(f func(hostRun) time.Duration) string {
	var xs []string
	for _, r := range sv.H {
		xs = append(xs, fmt.Sprintf("%.2f", f(r).Seconds()))
	}
	return strings.Join(xs, ", ")
}

// svcPart is a part of S's per-gate overhead.
type svcPart struct {
	name string
	f    func(svcRun) time.Duration
}

// The parts of S's per-gate overhead, in time order.
func pgBoot(r svcRun) time.Duration     { return r.PGFirst.Sub(r.SvcStart) }
func pgUp(r svcRun) time.Duration       { return r.PGReady.Sub(r.PGFirst) }
func afterReady(r svcRun) time.Duration { return r.TestEnd.Sub(r.SvcReady) - r.Pytest }

// measureServices runs the services scenario when it is wanted. A failure
// goes into the report, so that a full run keeps the other scenarios'
// results; it fails the harness on an interrupt, or when -scenarios named it.
func (rep *report) measureServices(ctx context.Context, r *runner, opts options) error {
	if len(opts.scenarios) > 0 && !slices.Contains(opts.scenarios, "services") {
		return nil
	}
	rep.services, rep.servicesErr = runServices(ctx, r, opts.runs)
	switch {
	case rep.servicesErr == nil:
	case ctx.Err() != nil || len(opts.scenarios) > 0:
		return fmt.Errorf("scenario services: %w", rep.servicesErr)
	default:
		logf("scenario services failed (the report says why): %v", rep.servicesErr)
	}
	return nil
}

func (rep *report) servicesSection(p func(string, ...any)) {
	p("\n## Services\n\n")
	sv := rep.services
	switch {
	case rep.servicesErr != nil:
		p("The services scenario failed:\n\n```\n%s\n```\n", rep.servicesErr)
		return
	case sv == nil || len(sv.S) == 0 || len(sv.H) == 0:
		p("Not run.\n")
		return
	}
	p("Issue 7: the overhead of a gate with a Postgres service beside it, against the same tests run on the host "+
		"against a host Postgres that is already up. Run: `go run ./bench %s`, started %s, %d timed runs per tool after one "+
		"warm-up each (S's warm-up, which built the Postgres image, took %s), S and H alternating with the order rotated "+
		"every run; load average (1, 5, 15 min) %s at its start, %s at its end.\n\n",
		rep.args, sv.Started.UTC().Format("2006-01-02 15:04 MST"), len(sv.S), secs(sv.Warm.Seconds()), sv.Load, sv.Load2)
	p("- **S** = `bin/stagebuild build <copy of examples/%s> --target %s --progress rawjson --reports …` on the harness's "+
		"buildkitd. Before each run a unique comment is appended to `%s`, so the service image and both gates "+
		"(integrated beside `db`, external beside `api`, which needs `db`) rerun while the Postgres image stays cached. "+
		"Measured: the `%s` gate's test vertex and its `[service %s for …]` progress line.\n", svcExample, svcTarget, svcEdit, svcGate, svcName)
	p("- **H** = `pytest -q -p no:cacheprovider --junitxml=… %s` from a temp venv (%s; the example's requirements.txt and "+
		"test_requirements.txt) in the same copy, against a host %s started once before the runs with initdb + pg_ctl "+
		"as the postgres user (a temp dir, trust auth, 127.0.0.1 on a free port, fsync off like the service). Its "+
		"one-off set-up, not timed in H: initdb %s, pg_ctl start → ready %s.\n\n", svcTests, sv.Host.Python, sv.Host.Postgres,
		secs(sv.Host.Initdb.Seconds()), secs(sv.Host.PGStart.Seconds()))
	ready, over := sv.sMed(svcRun.readyAfterPG), sv.sMed(svcRun.gateOverhead)
	hOver := sv.hMed(hostRun.overhead)
	p("| measure | S median | S runs (s) | H median | H runs (s) | target | met? |\n|---|---|---|---|---|---|---|\n")
	row := func(name string, s func(svcRun) time.Duration, h func(hostRun) time.Duration, target, met string) {
		hm, hr := "—", "—"
		if h != nil {
			hm, hr = secs(sv.hMed(h)), sv.hRuns(h)
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", name, secs(sv.sMed(s)), sv.sRuns(s), hm, hr, target, met)
	}
	row("service start → ready (`db`'s progress line)", svcRun.startToReady, nil, "", "")
	row("service ready − Postgres's \"ready to accept connections\"", svcRun.readyAfterPG, nil,
		"≤ "+secs(svcReadyTarget.Seconds()), yes(ready <= svcReadyTarget.Seconds()))
	row("pytest's own time (\"N passed in X s\")", func(r svcRun) time.Duration { return r.Pytest },
		func(r hostRun) time.Duration { return r.Pytest }, "", "")
	row("**per-gate overhead**: service start → test end, − pytest (H: wall − pytest)", svcRun.gateOverhead,
		hostRun.overhead, "≤ "+secs(svcOverheadTarget.Seconds()), yes(over <= svcOverheadTarget.Seconds()))
	row("test vertex wall − pytest (H: wall − pytest)", svcRun.testOverhead, hostRun.overhead, "", "")
	row("whole build wall − pytest (H: wall − pytest)", svcRun.buildOverhead, hostRun.overhead, "", "")
	p("\nS − H, per-gate overhead (medians): %s. ", secs(over-hOver))
	stamps := 0
	for _, r := range sv.S {
		if r.PGStamp {
			stamps++
		}
	}
	p("Postgres's readiness time is its own log timestamp (ms) in %d of %d runs, else the rawjson entry's. "+
		"The per-gate overhead counts from the service's start because the test vertex may start before its services are "+
		"ready and wait inside (it reads their env file when it runs), or start only once they are: the test vertex row "+
		"varies with that, the per-gate overhead does not.\n\n", stamps, len(sv.S))
	parts := []svcPart{
		{"service start → Postgres's first log line (solving the cached image, creating the container, starting the server)", pgBoot},
		{"Postgres's first line → its \"ready to accept connections\"", pgUp},
		{"Postgres ready → service ready (`pg_isready`, tried every 50 ms by one loop in its container)", svcRun.readyAfterPG},
		{"service ready → test end, − pytest (the test's wait for the build and its env file, pytest's start-up in the container)", afterReady},
	}
	var ds []string
	for _, pt := range parts {
		ds = append(ds, fmt.Sprintf("%s: %s", pt.name, secs(sv.sMed(pt.f))))
	}
	p("Where S's per-gate overhead goes (medians, so they need not add up): %s.\n\n", strings.Join(ds, "; "))
	p("Targets: service ready ≤ %s after Postgres reports ready — met: %s (median %s); per-gate overhead ≤ %s — met: %s (median %s).\n",
		secs(svcReadyTarget.Seconds()), yes(ready <= svcReadyTarget.Seconds()), secs(ready),
		secs(svcOverheadTarget.Seconds()), yes(over <= svcOverheadTarget.Seconds()), secs(over))
	for _, n := range sv.notes(parts) {
		p("\n- %s\n", n)
	}
}

// notes explain the verdicts: a missed target with the parts that took the
// time, runs over a target, and where S's overhead differs from H's.
func (sv *svcResult) notes(parts []svcPart) []string {
	var out []string
	if ready := sv.sMed(svcRun.readyAfterPG); ready > svcReadyTarget.Seconds() {
		out = append(out, fmt.Sprintf("The service was marked ready %s (median) after Postgres logged it was. That gap is "+
			"the readiness check: stagebuild polls every 100 ms, and each poll starts `pg_isready` in the service's container "+
			"through the gateway API and waits for it", secs(ready)))
	}
	for _, t := range []struct {
		what  string
		f     func(svcRun) time.Duration
		limit time.Duration
	}{{"service-ready", svcRun.readyAfterPG, svcReadyTarget}, {"per-gate overhead", svcRun.gateOverhead, svcOverheadTarget}} {
		var missed []string
		for i, r := range sv.S {
			if d := t.f(r); d > t.limit {
				missed = append(missed, fmt.Sprintf("run %d (%s)", i+1, secs(d.Seconds())))
			}
		}
		if len(missed) > 0 {
			out = append(out, fmt.Sprintf("%d of %d runs missed the %s target (≤ %s): %s. The verdict is on the median.",
				len(missed), len(sv.S), t.what, secs(t.limit.Seconds()), strings.Join(missed, ", ")))
		}
	}
	type part struct {
		name string
		d    float64
	}
	var ps []part
	for _, pt := range parts {
		ps = append(ps, part{pt.name, sv.sMed(pt.f)})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].d > ps[j].d })
	var by []string
	for _, pt := range ps {
		by = append(by, fmt.Sprintf("%s %s", secs(pt.d), strings.SplitN(pt.name, " (", 2)[0]))
	}
	over, hOver := sv.sMed(svcRun.gateOverhead), sv.hMed(hostRun.overhead)
	if over > svcOverheadTarget.Seconds() {
		out = append(out, fmt.Sprintf("The per-gate overhead is %s over the target (median %s; H's is %s). Its parts, largest first: %s.",
			secs(over-svcOverheadTarget.Seconds()), secs(over), secs(hOver), strings.Join(by, "; ")))
	}
	out = append(out, fmt.Sprintf("H pays none of the service's start-up (%s from its start to Postgres's first log line), since its "+
		"Postgres was up before the clock started. The example's Postgres image carries a cluster made when the image was "+
		"built (on this host initdb takes %s, pg_ctl start %s), so S's service only starts the server on a fresh copy of "+
		"it; the start-up is solving the (cached) image, creating the gateway container and starting the command in it, on a "+
		"machine that also runs the rest of the build.", secs(sv.sMed(pgBoot)), secs(sv.Host.Initdb.Seconds()),
		secs(sv.Host.PGStart.Seconds())))
	if after := sv.sMed(afterReady); after > hOver {
		out = append(out, fmt.Sprintf("After the service is ready, the test still takes %s besides pytest's own time (median), "+
			"against H's %s for the same pytest start-up on the host: the %s more is the gate's container (its process "+
			"waiting for the env file, the test wrapper, Python's start-up there) and the build around it (the external "+
			"gate, the checks and the api service run at the same time).", secs(after), secs(hOver), secs(after-hOver)))
	}
	return out
}
