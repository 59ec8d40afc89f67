package services

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
)

// readyLoop runs the readiness command ("$@") in the service's container
// until it succeeds, an attempt every 50 ms, and prints each attempt's exit
// code after its output. One process runs every attempt: starting a
// process in the container for each (a runc exec) costs more than
// pg_isready itself, and would add its start to the time between the
// service being ready and the gate knowing it. The command's stderr goes
// to its stdout: the container delivers the two as separate streams, and
// an attempt's error line could otherwise arrive after its exit code and
// be pinned on the next attempt. It ends on its own, with
// code 0, once the command succeeds: in a gateway container, a process
// that fails makes BuildKit end the whole container, service included.
// When the service is never ready, it ends with the container.
const readyLoop = `while :; do
  "$@" 2>&1
  c=$?
  printf '\n` + readyMark + `%s\n' "$c"
  [ "$c" = 0 ] && exit 0
  sleep 0.05 2>/dev/null || sleep 1
done`

const readyMark = "stagebuild-readiness-exit="

var readyLine = regexp.MustCompile(`^` + readyMark + `(\d+)$`)

// readyResult is the outcome of one attempt of the readiness command.
type readyResult struct {
	ok  bool
	why string
}

// cmdLoop is a running readyLoop: its output, split into attempts.
type cmdLoop struct {
	args    []string
	started time.Time
	changed chan<- struct{} // signalled after each attempt, and at its end
	mu      sync.Mutex
	out     []byte       // the current attempt's output lines
	partial []byte       // a line not ended yet
	last    *readyResult // the latest attempt's
	ended   error        // why the process could not run, or ended early
	done    bool
}

// startLoop starts readyLoop for args in ctr.
func startLoop(ctx context.Context, ctr gateway.Container, args, env []string, cwd, user string, changed chan<- struct{}) *cmdLoop {
	l := &cmdLoop{args: args, started: time.Now(), changed: changed}
	go func() {
		p, err := ctr.Start(ctx, gateway.StartRequest{Args: append([]string{"/bin/sh", "-c", readyLoop, "stagebuild"}, args...),
			Env: env, Cwd: cwd, User: user, Stdout: l, Stderr: l})
		if err == nil {
			err = p.Wait()
		}
		l.mu.Lock()
		l.done, l.ended = true, err
		l.mu.Unlock()
		l.signal()
	}()
	return l
}

func (l *cmdLoop) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// Write splits the loop's output into attempts at each readyMark line.
func (l *cmdLoop) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.partial = append(l.partial, p...)
	var ended bool
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		if m := readyLine.FindSubmatch(l.partial[:i]); m != nil {
			l.last, ended = l.attempt(string(m[1]), l.out), true
			l.out = l.out[:0]
		} else {
			l.out = append(l.out, l.partial[:i+1]...)
		}
		l.partial = l.partial[i+1:]
	}
	l.out = keepTail(l.out)
	l.partial = keepTail(append([]byte(nil), l.partial...))
	l.mu.Unlock()
	if ended {
		l.signal()
	}
	return len(p), nil
}

// keepTail bounds the output kept of an attempt: its last 4 KiB.
func keepTail(b []byte) []byte {
	if len(b) <= 4<<10 {
		return b
	}
	return append([]byte(nil), b[len(b)-(4<<10):]...)
}

// Close does nothing: the loop's stdout and stderr are one cmdLoop.
func (l *cmdLoop) Close() error { return nil }

// attempt judges an attempt that exited with code, after output.
func (l *cmdLoop) attempt(code string, output []byte) *readyResult {
	if code == "0" {
		return &readyResult{ok: true}
	}
	return &readyResult{why: fmt.Sprintf("readiness command %q exited with code %s: %s",
		strings.Join(l.args, " "), code, lastLine(strings.TrimSpace(string(output))))}
}

// result is the latest attempt's outcome, or why there is none.
func (l *cmdLoop) result() (bool, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.last != nil:
		return l.last.ok, l.last.why
	case l.done:
		return false, fmt.Sprintf("readiness command %q could not run (it needs /bin/sh in the image): %v", strings.Join(l.args, " "), l.ended)
	case time.Since(l.started) >= 5*time.Second:
		return false, "the readiness command has run for 5s and goes on"
	}
	return false, "waiting for the readiness command"
}
