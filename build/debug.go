package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/services"
)

// Debug opens a container on the first gate that fails, while its services
// still run: the filesystem the gate's test ran on, with the test's env
// (its services' env included), workdir and user. The build waits for the
// process to end.
type Debug struct {
	// Args is the command; empty runs /bin/sh.
	Args []string
	// Tty runs the process on a terminal; Stdin then feeds it.
	Tty            bool
	Stdin          io.ReadCloser
	Stdout, Stderr io.WriteCloser
	// Opening is called before the container starts, with the failed gate
	// and the services' env; the caller shows them.
	Opening func(res *GateResult, env []string)
	// Started is called once the process runs, with a function that passes
	// on the terminal's size; the function it returns is called at the end
	// (a terminal's raw mode is set and reset there).
	Started func(resize func(rows, cols uint32)) (stop func())

	mu sync.Mutex
	// Gate is the gate debugged, empty when none failed. Ran says that the
	// process ran and ended with exit code Exit.
	Gate string
	Ran  bool
	Exit int
}

// claim makes gate the one debugged, unless another was first.
func (d *Debug) claim(gate string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Gate != "" {
		return false
	}
	d.Gate = gate
	return true
}

// debugGate runs the Debug process on a failed gate, if asked for.
func (s *gwSession) debugGate(ctx context.Context, res *GateResult, svc *services.Gate) error {
	d := s.r.opts.Debug
	if d == nil || !d.claim(res.Gate) {
		return nil
	}
	gs := s.graph.Stage(res.Gate)
	// The filesystem the test ran on: built already, and opening it runs
	// nothing again (the test's own output filesystem may not be kept).
	ref, err := s.solve(ctx, gs.TestBase)
	if err != nil {
		return fmt.Errorf("debug: the filesystem of gate %s: %w", res.Gate, err)
	}
	cfg := gs.Config.Config
	env := append([]string(nil), cfg.Env...)
	var svcEnv []string
	mounts := []gateway.Mount{{Dest: "/", Ref: ref, MountType: pb.MountType_BIND}}
	if svc != nil {
		vars, err := svc.Vars(ctx)
		if err != nil {
			return err
		}
		for _, v := range vars {
			svcEnv = append(svcEnv, v.Key+"="+v.Value)
		}
		env = append(env, svcEnv...)
		mounts = append(mounts, gateway.Mount{Dest: llbgen.ServicesEnvPath, MountType: pb.MountType_SECRET,
			SecretOpt: &pb.SecretOpt{ID: llbgen.ServicesSecretID(res.Gate), Mode: 0o444}})
	}
	if d.Opening != nil {
		d.Opening(res, svcEnv)
	}
	ctr, err := s.gw.NewContainer(ctx, gateway.NewContainerRequest{Mounts: mounts})
	if err != nil {
		return fmt.Errorf("debug: creating a container for gate %s: %w", res.Gate, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = ctr.Release(rctx)
	}()
	args := d.Args
	if len(args) == 0 {
		args = []string{"/bin/sh"}
	}
	proc, err := ctr.Start(ctx, gateway.StartRequest{Args: args, Env: env, Cwd: cfg.WorkingDir, User: cfg.User,
		Tty: d.Tty, Stdin: d.Stdin, Stdout: d.Stdout, Stderr: d.Stderr})
	if err != nil {
		return fmt.Errorf("debug: starting %q in gate %s: %w", args, res.Gate, err)
	}
	if d.Started != nil {
		stop := d.Started(func(rows, cols uint32) { _ = proc.Resize(ctx, gateway.WinSize{Rows: rows, Cols: cols}) })
		if stop != nil {
			defer stop()
		}
	}
	err = proc.Wait()
	var ee *gwpb.ExitError
	switch {
	case err == nil:
		d.Ran, d.Exit = true, 0
	case errors.As(err, &ee):
		d.Ran, d.Exit = true, int(ee.ExitCode)
	default:
		return fmt.Errorf("debug: %q in gate %s: %w", args, res.Gate, err)
	}
	return nil
}
