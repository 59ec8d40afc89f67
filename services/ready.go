package services

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/stagebuild/stagebuild/plan"
)

// awaitReady polls the readiness checks until all hold, and returns why
// not when the process exits or the timeout passes first ("" when ready).
func (s *run) awaitReady(ctx context.Context, ctr gateway.Container, env []string, cwd, user string, exited <-chan error) string {
	deadline := time.NewTimer(s.svc.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	why := "not ready yet"
	for {
		select {
		case <-ctx.Done():
			return "interrupted"
		case err := <-exited:
			if err == nil {
				return "it exited with code 0 before it was ready"
			}
			return fmt.Sprintf("it exited before it was ready (%v)", err)
		case <-deadline.C:
			return fmt.Sprintf("not ready within %s: %s", s.svc.Timeout, why)
		case <-tick.C:
		}
		var ok bool
		if ok, why = s.checkReady(ctx, ctr, env, cwd, user); ok {
			return ""
		}
	}
}

// checkReady runs every readiness check once.
func (s *run) checkReady(ctx context.Context, ctr gateway.Container, env []string, cwd, user string) (bool, string) {
	rd := s.svc.Readiness
	if !rd.Log.IsZero() {
		if !rd.Log.Match(s.log.Bytes()) {
			return false, fmt.Sprintf("no log line matched %q", rd.Log)
		}
	}
	if rd.TCP != "" {
		addr := net.JoinHostPort(plan.ServiceHost, strconv.Itoa(s.ports[rd.TCP]))
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false, fmt.Sprintf("port %s (%s) accepts no connection: %v", rd.TCP, addr, err)
		}
		c.Close()
	}
	if h := rd.HTTP; h != nil {
		if ok, why := ProbeHTTP(ctx, s.ports[h.Port], &plan.SmokeCheck{HTTPPath: h.Path, HTTPStatus: h.Status, HTTPBody: h.Body}); !ok {
			return false, why
		}
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
