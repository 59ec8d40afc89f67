package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The services scenario (issue 7): the overhead of a gate with a Postgres
// service beside it, against the same tests run on the host with a host
// Postgres that is already up.
//   - S: bin/stagebuild builds a copy of examples/notes-pg (target service)
//     on the harness's daemon, after a warm-up build, with a unique edit of
//     the source before each run: the gates rerun, the Postgres image stays
//     cached. The integrated gate and its db service are read off rawjson.
//   - H: pytest from a host venv runs the integrated tests in the same copy
//     against a host Postgres started once before the runs (services_host.go).
const (
	svcExample = "notes-pg"
	svcTarget  = "service"             // the API's image, gated by both gates
	svcGate    = "integrated"          // the gate measured
	svcName    = "db"                  // its Postgres service
	svcEdit    = "notes/repository.py" // the source edited before each run
	svcTests   = "tests/integrated"
	pgReadyMsg = "ready to accept connections"
)

var (
	// pytestSummary is pytest's last line: "4 passed in 0.79s", also
	// "3 passed, 1 warning in 1.02s" or "=== 4 passed in 61.2s (0:01:01) ===".
	pytestSummary = regexp.MustCompile(`\b\d+ passed\b[^\n]*? in (\d+(?:\.\d+)?)s\b`)
	// pgStamp is the default log_line_prefix's timestamp ("%m"), when its
	// zone is UTC: "2026-11-21 20:01:29.572 UTC [1] LOG:  ...".
	pgStamp = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?:UTC|GMT) `)
)

// svcRun is one S invocation: the times the verdicts are about.
type svcRun struct {
	Wall   time.Duration // the whole CLI invocation
	Pytest time.Duration // pytest's own "N passed in X s" for the gate
	// The db service's vertex (created when the gate starts, completed
	// when it is ready) and the gate's test vertex.
	SvcStart, SvcReady, TestStart, TestEnd time.Time
	// Postgres's first log line and its "ready to accept connections".
	PGFirst, PGReady time.Time
	PGStamp          bool // PGReady is Postgres's own timestamp, not rawjson's
	Log              string
}

func (r svcRun) startToReady() time.Duration { return r.SvcReady.Sub(r.SvcStart) }
func (r svcRun) readyAfterPG() time.Duration { return r.SvcReady.Sub(r.PGReady) }

// gateOverhead is the gate's wall time, waiting for its service included
// (from the earlier of the service's and the test's start to the test's
// end), minus pytest's own time.
func (r svcRun) gateOverhead() time.Duration {
	start := r.SvcStart
	if r.TestStart.Before(start) {
		start = r.TestStart
	}
	return r.TestEnd.Sub(start) - r.Pytest
}

func (r svcRun) testOverhead() time.Duration  { return r.TestEnd.Sub(r.TestStart) - r.Pytest }
func (r svcRun) buildOverhead() time.Duration { return r.Wall - r.Pytest }

// hostRun is one H run: pytest's wall time on the host and its own time.
type hostRun struct{ Wall, Pytest time.Duration }

func (h hostRun) overhead() time.Duration { return h.Wall - h.Pytest }

// svcResult is the scenario's outcome.
type svcResult struct {
	S           []svcRun
	H           []hostRun
	Host        hostInfo
	Warm        time.Duration // S's warm-up build (builds the Postgres image)
	Started     time.Time
	Load, Load2 string // load average at its start and end
}

// runServices runs the scenario on r's daemon: one warm-up per tool, then
// runs timed runs of each, the order rotated every run.
func runServices(ctx context.Context, r *runner, runs int) (*svcResult, error) {
	out := &svcResult{Started: time.Now(), Load: loadAvg()}
	example := filepath.Join(r.work, svcExample)
	if err := copyTree(filepath.Join(r.repo, "examples", svcExample), example); err != nil {
		return nil, err
	}
	ws := filepath.Join(r.work, "ws-services")
	if err := copyTree(example, ws); err != nil {
		return nil, err
	}
	logf("services: setting up the host baseline (venv, Postgres)")
	h, err := startHost(ctx, r.work, ws)
	if h != nil {
		defer h.stop()
	}
	if err != nil {
		return nil, err
	}
	out.Host = h.info
	once := func(tool string, run int) error {
		if err := editFile(example, ws, svcEdit, "# bench edit: "+uniq(tool, run)+"\n"); err != nil {
			return err
		}
		if tool == "H" {
			hr, err := h.pytest(ctx)
			if err == nil && run >= 0 {
				out.H = append(out.H, hr)
				logf("services: run %d/%d H  %6.2fs  pytest %.2fs", run+1, runs, hr.Wall.Seconds(), hr.Pytest.Seconds())
			}
			return err
		}
		sr, err := r.services(ctx, ws)
		switch {
		case err != nil:
		case run < 0:
			out.Warm = sr.Wall
			logf("services: warm-up S %6.2fs", sr.Wall.Seconds())
		default:
			out.S = append(out.S, sr)
			logf("services: run %d/%d S  %6.2fs  pytest %.2fs  db start→ready %.2fs, after Postgres %.2fs; gate − pytest %.2fs",
				run+1, runs, sr.Wall.Seconds(), sr.Pytest.Seconds(), sr.startToReady().Seconds(),
				sr.readyAfterPG().Seconds(), sr.gateOverhead().Seconds())
		}
		return err
	}
	for _, tool := range []string{"S", "H"} {
		if err := once(tool, -1); err != nil {
			return nil, err
		}
	}
	for i := 0; i < runs; i++ {
		for k := 0; k < 2; k++ {
			if err := once([]string{"S", "H"}[(i+k)%2], i); err != nil {
				return nil, err
			}
		}
	}
	out.Load2 = loadAvg()
	return out, nil
}

// services builds the example's target once and reads the gate's times.
func (r *runner) services(ctx context.Context, ws string) (svcRun, error) {
	res, err := r.invoke(ctx, filepath.Join(r.repo, "bin", "stagebuild"), "build", ws, "--target", svcTarget,
		"--addr", r.daemon.addr(), "--progress", "rawjson", "--reports", filepath.Join(r.work, "reports-services"))
	if err != nil {
		return svcRun{}, err
	}
	log := res.Logs[0]
	if res.Failed {
		return svcRun{}, fmt.Errorf("stagebuild exited %d; progress log %s:\n%s", res.Exit, log, tail(log, 15))
	}
	f, err := os.Open(log)
	if err != nil {
		return svcRun{}, err
	}
	defer f.Close()
	t, err := parseRawJSON(f)
	if err != nil {
		return svcRun{}, err
	}
	sr, err := t.serviceTimes()
	if err != nil {
		return sr, fmt.Errorf("%s: %w", log, err)
	}
	sr.Wall, sr.Log = res.Wall, log
	return sr, nil
}

// serviceTimes finds the db service's vertex ("[service db for <gate>] …",
// the first one when there are several) and the gate's executed test
// vertex, and reads pytest's time and Postgres's readiness off their logs.
func (t *trace) serviceTimes() (svcRun, error) {
	var svc, test *vertex
	for _, v := range t.vertexes {
		switch {
		case strings.HasPrefix(v.name, "[service "+svcName+" for ") && v.started != nil:
			if svc == nil || v.started.Before(*svc.started) {
				svc = v
			}
		case (strings.HasPrefix(v.name, "["+svcGate+" ") || strings.HasPrefix(v.name, "["+svcGate+"]")) &&
			strings.Contains(v.name, pytestMarker) && !v.cached && v.completed != nil:
			test = v
		}
	}
	var sr svcRun
	switch {
	case svc == nil:
		return sr, fmt.Errorf("no vertex for service %s", svcName)
	case svc.completed == nil || svc.err != "":
		return sr, fmt.Errorf("service %s never became ready: %s", svcName, svc.err)
	case test == nil:
		return sr, fmt.Errorf("the %s gate's test did not run (cached?)", svcGate)
	}
	sr.SvcStart, sr.SvcReady, sr.TestStart, sr.TestEnd = *svc.started, *svc.completed, *test.started, *test.completed
	p, ok := pytestTime(test.log.Bytes())
	if !ok {
		return sr, fmt.Errorf("no pytest summary (\"N passed in X s\") in the %s gate's log", svcGate)
	}
	sr.Pytest = p
	i := bytes.Index(svc.log.Bytes(), []byte(pgReadyMsg))
	if i < 0 || svc.log.Len() == 0 {
		return sr, fmt.Errorf("service %s logged no %q", svcName, pgReadyMsg)
	}
	sr.PGFirst, _ = lineTime(svc, 0)
	sr.PGReady, sr.PGStamp = lineTime(svc, i)
	return sr, nil
}

// pytestTime is the time in pytest's last summary line.
func pytestTime(out []byte) (time.Duration, bool) {
	all := pytestSummary.FindAllSubmatch(out, -1)
	if len(all) == 0 {
		return 0, false
	}
	s, err := strconv.ParseFloat(string(all[len(all)-1][1]), 64)
	return time.Duration(s * float64(time.Second)), err == nil
}

// lineTime is when the log line holding byte off of v's log was written:
// the Postgres timestamp the line starts with (true), if it has one in UTC
// within 5 s of the rawjson entry's, else the rawjson entry's timestamp.
func lineTime(v *vertex, off int) (time.Time, bool) {
	log := v.log.Bytes()
	start := bytes.LastIndexByte(log[:off], '\n') + 1
	at := v.logTime(off)
	if m := pgStamp.FindSubmatch(log[start:]); m != nil {
		pg, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", string(m[1]), time.UTC)
		if d := pg.Sub(at); err == nil && d < 5*time.Second && d > -5*time.Second {
			return pg, true
		}
	}
	return at, false
}
