package services

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/stagebuild/stagebuild/internal/probe"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/verify"
)

// NetCheck is a network check of a readiness or smoke check and what it
// expects. The daemon's probe runs it (Probe.Watch); Judge judges its
// results here.
type NetCheck struct {
	Port int
	// Name is the port's name, for a TCP check's message ("pg"); empty
	// for a smoke check's port.
	Name string
	// HTTP, when set, makes it a GET of HTTP.HTTPPath, judged by
	// verify.HTTPOK; else it is a TCP connect.
	HTTP *plan.SmokeCheck
}

// ProbeChecks are the checks as the probe runs them.
func ProbeChecks(checks []NetCheck) []probe.Check {
	var out []probe.Check
	for _, c := range checks {
		pc := probe.Check{Port: c.Port}
		if c.HTTP != nil {
			pc.Path = c.HTTP.HTTPPath
		}
		out = append(out, pc)
	}
	return out
}

// Judge reports whether the latest results of checks all hold, and why
// not when one does not.
func Judge(checks []NetCheck, results []probe.Result) (ok bool, why string) {
	if len(checks) == 0 {
		return true, ""
	}
	if len(results) != len(checks) {
		return false, "no answer from the probe yet"
	}
	for i, c := range checks {
		r := results[i]
		addr := fmt.Sprintf("%s:%d", plan.ServiceHost, c.Port)
		switch {
		case c.HTTP == nil && r.Err != "" && c.Name != "":
			return false, fmt.Sprintf("port %s (%s) accepts no connection: %s", c.Name, addr, r.Err)
		case c.HTTP == nil && r.Err != "":
			return false, fmt.Sprintf("connecting to %s: %s", addr, r.Err)
		case c.HTTP == nil:
		case r.Err != "":
			return false, fmt.Sprintf("GET http://%s%s: %s", addr, c.HTTP.HTTPPath, r.Err)
		default:
			if ok, why := verify.HTTPOK(c.HTTP, r.Status, r.Body); !ok {
				return false, fmt.Sprintf("GET http://%s%s: %s", addr, c.HTTP.HTTPPath, why)
			}
		}
	}
	return true, ""
}

// LogTail collects a container's output (the last few MiB of it).
type LogTail struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (l *LogTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 4<<20 {
		b := append([]byte(nil), l.buf.Bytes()[l.buf.Len()-(1<<20):]...)
		l.buf.Reset()
		l.buf.Write(b)
	}
	if l.changed != nil {
		select {
		case l.changed <- struct{}{}:
		default:
		}
	}
	return l.buf.Write(p)
}

// Changed receives after output arrives, so a log readiness check need
// not wait for its next poll.
func (l *LogTail) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{}, 1)
	}
	return l.changed
}

// Close does nothing: a LogTail is a process's stdout and stderr.
func (l *LogTail) Close() error { return nil }

// Bytes is a copy of the output so far.
func (l *LogTail) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.buf.Bytes()...)
}

// Tail is the last n lines of the output.
func (l *LogTail) Tail(n int) []string {
	lines := strings.Split(strings.TrimRight(string(l.Bytes()), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
