package build

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/services"
	"github.com/stagebuild/stagebuild/verify"
)

// smokeAttempts bounds the starts of a smoke test whose port another
// process took before the image's program bound it.
const smokeAttempts = 3

// smokeTest starts the image's own entrypoint in a container on the
// daemon's network, with a port picked there for this run (or the fixed
// one) passed in through PortEnv, and waits until the log and/or HTTP or
// TCP expectation is met. The daemon's probe picks the port and runs the
// network checks: nothing here dials the container.
func (s *gwSession) smokeTest(ctx context.Context, ref gateway.Reference, cfg ocispecs.ImageConfig,
	c *plan.SmokeCheck) ([]verify.Failure, error) {
	args := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if len(args) == 0 {
		return smokeFail(c, "the image has no entrypoint or cmd to start", nil)
	}
	prb, err := s.Probe(ctx)
	if err != nil {
		return nil, fmt.Errorf("smoke test: %w", err)
	}
	for attempt := 1; ; attempt++ {
		fails, clash, err := s.smokeOnce(ctx, prb, ref, cfg, c, args)
		if clash == 0 || attempt == smokeAttempts {
			return fails, err
		}
	}
}

// smokeOnce is one start of a smoke test. clash is its allocated port when
// the program exited before it was ready and something else listens
// there now: a retry gets a new port.
func (s *gwSession) smokeOnce(ctx context.Context, prb *services.Probe, ref gateway.Reference, cfg ocispecs.ImageConfig,
	c *plan.SmokeCheck, args []string) (_ []verify.Failure, clash int, _ error) {
	env := append([]string{}, cfg.Env...)
	for _, e := range c.Env {
		env = append(env, e.Key+"="+e.Value)
	}
	port := c.Port
	if port != 0 {
		if err := prb.Hold(ctx, port, c.Timeout); err != nil {
			return nil, 0, fmt.Errorf("smoke test: %w", err)
		}
	} else {
		ports, err := prb.Alloc(ctx, 1)
		if err != nil {
			return nil, 0, fmt.Errorf("smoke test: %w", err)
		}
		port = ports[0]
	}
	defer prb.Free(port)
	if c.PortEnv != "" {
		env = append(env, c.PortEnv+"="+strconv.Itoa(port))
	}
	ctr, err := s.Container(ctx, ref)
	if err != nil {
		return nil, 0, fmt.Errorf("smoke test: starting a container: %w", err)
	}
	defer releaseContainer(ctr)
	log := &services.LogTail{}
	proc, err := ctr.Start(ctx, gateway.StartRequest{
		Args: args, Env: env, Cwd: cfg.WorkingDir, User: cfg.User, Stdout: log, Stderr: log,
	})
	if err != nil {
		f, err := smokeFail(c, fmt.Sprintf("starting %q: %v", strings.Join(args, " "), err), log)
		return f, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	var checks []services.NetCheck
	switch {
	case c.HTTPPath != "":
		checks = append(checks, services.NetCheck{Port: port, HTTP: c})
	case c.TCP:
		checks = append(checks, services.NetCheck{Port: port})
	}
	w, err := prb.Watch(services.ProbeChecks(checks), 100*time.Millisecond)
	if err != nil {
		return nil, 0, fmt.Errorf("smoke test: %w", err)
	}
	defer w.Stop()
	deadline := time.NewTimer(c.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	logged := log.Changed()
	why := "not ready yet"
	for {
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case err := <-exited:
			if c.Port == 0 {
				if taken, _ := prb.Taken(ctx, port); len(taken) > 0 {
					clash = port
				}
			}
			f, err2 := smokeFail(c, fmt.Sprintf("%q exited before it was ready (%v)", strings.Join(args, " "), err), log)
			return f, clash, err2
		case <-deadline.C:
			f, err := smokeFail(c, fmt.Sprintf("not ready within %s: %s", c.Timeout, why), log)
			return f, 0, err
		case <-prb.Done():
			return nil, 0, fmt.Errorf("smoke test: %w", prb.Err())
		case <-tick.C:
		case <-logged:
		case <-w.Changed():
		}
		ready := true
		if !c.Log.IsZero() && !c.Log.Match(log.Bytes()) {
			ready, why = false, fmt.Sprintf("no log line matched %q", c.Log)
		}
		if ready {
			ready, why = services.Judge(checks, w.Results())
		}
		if ready {
			_ = proc.Signal(ctx, syscall.SIGTERM)
			return nil, 0, nil
		}
	}
}

// smokeFail is a failed smoke check, with the container's last log lines.
func smokeFail(c *plan.SmokeCheck, msg string, log *services.LogTail) ([]verify.Failure, error) {
	if log != nil {
		if lines := log.Tail(services.LogLines); len(lines) > 0 {
			msg += "; last log lines:\n" + strings.Join(lines, "\n")
		} else {
			msg += "; the container printed nothing"
		}
	}
	return []verify.Failure{{Check: "smoke", Message: msg, Source: c.Source}}, nil
}
