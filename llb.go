package stagebuild

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/solver/pb"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/daemon"
)

// LLBRequest is one `stagebuild llb`.
type LLBRequest struct {
	Project
	// Target is the stage to dump; empty means the pipeline's default.
	Target string
	// Gate, when set, dumps that gate's result instead.
	Gate string
	// Connect reaches BuildKit to resolve base images; nil uses them by
	// name with empty configs, and no daemon is needed (--no-resolve).
	Connect func(context.Context) (Client, error)
}

// DialAddr returns a Connect function for addr, else $BUILDKIT_HOST, else
// the local daemon.
func DialAddr(addr string, log io.Writer) func(context.Context) (Client, error) {
	return Dial(daemon.Options{Addr: addr}, log)
}

// LLB returns the LLB definition a build solves for the target, or for
// the gate's result. Its metadata entries may be shared with other
// definitions of the same graph: read them, never write into them.
func LLB(ctx context.Context, req LLBRequest) (*pb.Definition, error) {
	var requested []string
	switch {
	case req.Gate != "":
		requested = []string{req.Gate}
	case req.Target != "":
		requested = []string{req.Target}
	}
	p, res, err := req.load(requested)
	if err != nil {
		return nil, err
	}
	stage := res.Targets[0].Stage
	if req.Gate != "" && !p.Stage(stage).IsGate() {
		return nil, buildflags.Usage(fmt.Errorf("--gate %s: stage %s is not a gate (it has no test: command); use --target %s", req.Gate, stage, stage))
	}
	pl, err := req.plan(p, res)
	if err != nil {
		return nil, err
	}
	opts := build.DefinitionOptions{Stage: stage, Gate: req.Gate != "", ContextDir: req.ContextDir,
		Platform: platforms.Normalize(platforms.DefaultSpec())}
	if req.Connect == nil {
		return build.Definition(ctx, nil, pl, opts)
	}
	c, err := req.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return build.Definition(ctx, c, pl, opts)
}
