package build

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/services"
	"github.com/stagebuild/stagebuild/state"
	"github.com/stagebuild/stagebuild/verify"
)

// newPorts hands out the ports of services and smoke tests, locked in the
// state dir's ports/ (never in a shared place such as /tmp, where another
// user could lock every port).
func newPorts() *services.Ports {
	dir, err := state.Dir()
	return &services.Ports{Dir: filepath.Join(dir, "ports"), Err: err}
}

// smokeTest starts the image's own entrypoint in a container on the daemon's
// host network, with a port allocated for this run passed in through
// PortEnv, and waits until the log and/or HTTP expectation is met.
func (s *gwSession) smokeTest(ctx context.Context, ref gateway.Reference, cfg ocispecs.ImageConfig,
	c *plan.SmokeCheck) ([]verify.Failure, error) {
	fail := func(msg string, log *services.LogTail) ([]verify.Failure, error) {
		if log != nil {
			if lines := log.Tail(services.LogLines); len(lines) > 0 {
				msg += "; last log lines:\n" + strings.Join(lines, "\n")
			} else {
				msg += "; the container printed nothing"
			}
		}
		return []verify.Failure{{Check: "smoke", Message: msg, Source: c.Source}}, nil
	}
	args := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if len(args) == 0 {
		return fail("the image has no entrypoint or cmd to start", nil)
	}
	env := append([]string{}, cfg.Env...)
	for _, e := range c.Env {
		env = append(env, e.Key+"="+e.Value)
	}
	var (
		port    int
		release func()
		err     error
	)
	if c.Port != 0 {
		port, release, err = s.r.ports.Hold(ctx, c.Port, c.Timeout)
	} else {
		// An allocated port's lock is held until release: taking one for a
		// fixed port as well would hold it for the rest of the process.
		port, release, err = s.r.ports.Allocate()
	}
	if err != nil {
		return nil, fmt.Errorf("smoke test: %w", err)
	}
	defer release()
	if c.PortEnv != "" {
		env = append(env, c.PortEnv+"="+strconv.Itoa(port))
	}
	ctr, err := s.Container(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("smoke test: starting a container: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = ctr.Release(rctx)
	}()
	log := &services.LogTail{}
	proc, err := ctr.Start(ctx, gateway.StartRequest{
		Args: args, Env: env, Cwd: cfg.WorkingDir, User: cfg.User, Stdout: log, Stderr: log,
	})
	if err != nil {
		return fail(fmt.Sprintf("starting %q: %v", strings.Join(args, " "), err), log)
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	deadline := time.NewTimer(c.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	why := "not ready yet"
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-exited:
			return fail(fmt.Sprintf("%q exited before it was ready (%v)", strings.Join(args, " "), err), log)
		case <-deadline.C:
			return fail(fmt.Sprintf("not ready within %s: %s", c.Timeout, why), log)
		case <-tick.C:
		}
		ready := true
		if !c.Log.IsZero() && !c.Log.Match(log.Bytes()) {
			ready, why = false, fmt.Sprintf("no log line matched %q", c.Log)
		}
		if ready && c.HTTPPath != "" {
			var ok bool
			ok, why = services.ProbeHTTP(ctx, port, c)
			ready = ok
		}
		if ready && c.TCP && c.HTTPPath == "" {
			ready, why = services.DialTCP(ctx, port)
		}
		if ready {
			_ = proc.Signal(ctx, syscall.SIGTERM)
			return nil, nil
		}
	}
}
