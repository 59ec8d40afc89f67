package services

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
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
		}
		var ok bool
		if ok, why = s.checkReady(ctx, ctr, checks, w.Results(), env, cwd, user); ok {
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
// latest results, then the command.
func (s *run) checkReady(ctx context.Context, ctr gateway.Container, checks []NetCheck, results []probe.Result,
	env []string, cwd, user string) (bool, string) {
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
		return s.readyCommand(ctx, ctr, env, cwd, user)
	}
	return true, ""
}

// readyWrapper runs the readiness command and prints its exit code, and
// always exits 0: in a gateway container, a process that fails makes
// BuildKit end the whole container, service included.
const readyWrapper = `"$@"; echo "stagebuild-readiness-exit=$?"`

var readyExit = regexp.MustCompile(`stagebuild-readiness-exit=(\d+)\s*$`)

type readyResult struct {
	ok  bool
	why string
}

// readyCommand runs the readiness command in the service's container. One
// that takes long is left running (stopping it would end the container)
// and its result read on a later check.
func (s *run) readyCommand(ctx context.Context, ctr gateway.Container, env []string, cwd, user string) (bool, string) {
	if s.pending == nil {
		ch := make(chan readyResult, 1)
		s.pending = ch
		args := argv(s.svc.Readiness.Command, s.svc.Readiness.Shell)
		go func() {
			out := &lockedBuffer{buf: &bytes.Buffer{}}
			p, err := ctr.Start(ctx, gateway.StartRequest{Args: append([]string{"/bin/sh", "-c", readyWrapper, "stagebuild"}, args...),
				Env: env, Cwd: cwd, User: user, Stdout: out, Stderr: out})
			if err == nil {
				err = p.Wait()
			}
			text := out.String()
			m := readyExit.FindStringSubmatch(text)
			text = strings.TrimSpace(readyExit.ReplaceAllString(text, ""))
			switch {
			case err != nil:
				ch <- readyResult{why: fmt.Sprintf("readiness command %q could not run (it needs /bin/sh in the image): %v", strings.Join(args, " "), err)}
			case m == nil || m[1] != "0":
				code := "?"
				if m != nil {
					code = m[1]
				}
				ch <- readyResult{why: fmt.Sprintf("readiness command %q exited with code %s: %s", strings.Join(args, " "), code, lastLine(text))}
			default:
				ch <- readyResult{ok: true}
			}
		}()
	}
	select {
	case res := <-s.pending:
		s.pending = nil
		return res.ok, res.why
	case <-time.After(5 * time.Second):
		return false, "the readiness command has run for 5s and goes on"
	}
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
