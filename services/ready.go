package services

import (
	"context"
	"fmt"
	"strings"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/stagebuild/stagebuild/internal/probe"
	"github.com/stagebuild/stagebuild/plan"
)

// awaitReady polls the readiness checks until all hold, and returns why
// not when the process exits or the timeout passes first ("" when ready);
// early says that the process exited first. The network checks run on
// the daemon's side (the probe); a check is judged again as soon as a
// result or a log line arrives.
func (s *run) awaitReady(ctx context.Context, prb *Probe, ctr gateway.Container, env []string, cwd, user string,
	exited <-chan error) (why string, early bool) {
	deadline := time.NewTimer(s.svc.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	checks := s.netChecks()
	w, err := prb.Watch(ProbeChecks(checks), 50*time.Millisecond)
	if err != nil {
		return err.Error(), false
	}
	defer w.Stop()
	logged := s.log.Changed()
	// The readiness command's loop, started once the other checks hold.
	var loop *cmdLoop
	attempted := make(chan struct{}, 1)
	command := func() (bool, string) {
		if loop == nil {
			args := argv(s.svc.Readiness.Command, s.svc.Readiness.Shell)
			loop = startLoop(ctx, ctr, args, env, cwd, user, attempted)
		}
		return loop.result()
	}
	why = "not ready yet"
	for {
		select {
		case <-ctx.Done():
			return "interrupted", false
		case err := <-exited:
			if err == nil {
				return "it exited with code 0 before it was ready", true
			}
			return fmt.Sprintf("it exited before it was ready (%v)", err), true
		case <-deadline.C:
			return fmt.Sprintf("not ready within %s: %s", s.svc.Timeout, why), false
		case <-prb.Done():
			return prb.Err().Error(), false
		case <-tick.C:
		case <-logged:
		case <-w.Changed():
		case <-attempted:
		}
		var ok bool
		if ok, why = s.checkReady(checks, w.Results(), command); ok {
			return "", false
		}
	}
}

// netChecks are the readiness checks that the probe runs.
func (s *run) netChecks() []NetCheck {
	rd := s.svc.Readiness
	var out []NetCheck
	if rd.TCP != "" {
		out = append(out, NetCheck{Port: s.ports[rd.TCP], Name: rd.TCP})
	}
	if h := rd.HTTP; h != nil {
		out = append(out, NetCheck{Port: s.ports[h.Port], HTTP: &plan.SmokeCheck{HTTPPath: h.Path, HTTPStatus: h.Status, HTTPBody: h.Body}})
	}
	return out
}

// checkReady judges every readiness check once: the log, the probe's
// latest results, then the command's latest attempt (command starts its
// loop on first use).
func (s *run) checkReady(checks []NetCheck, results []probe.Result, command func() (bool, string)) (bool, string) {
	rd := s.svc.Readiness
	if !rd.Log.IsZero() {
		if !rd.Log.Match(s.log.Bytes()) {
			return false, fmt.Sprintf("no log line matched %q", rd.Log)
		}
	}
	if ok, why := Judge(checks, results); !ok {
		return false, why
	}
	if len(rd.Command) > 0 {
		return command()
	}
	return true, ""
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
