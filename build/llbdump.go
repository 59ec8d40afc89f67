package build

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/plan"
)

// DefinitionOptions select the definition Definition returns.
type DefinitionOptions struct {
	// Stage is the planned stage whose LLB is wanted.
	Stage string
	// Gate asks for the gate's result directory (where its verdict is
	// recorded, see llbgen.ResultDir) instead of the stage's filesystem.
	Gate     bool
	Platform ocispecs.Platform
	// ContextDir is the build context; it keys the context source as a
	// build of it would.
	ContextDir string
}

// Definition returns the LLB that a build of the plan solves for one stage,
// or for a gate's result. With a client, base images are resolved on its
// daemon to their digests and configs, as a build resolves them; with a nil
// client, they are used by name with empty configs, and no daemon is needed.
//
// The context source is named with a fixed unique ID derived from the
// context directory, so the same plan gives the same definition.
func Definition(ctx context.Context, c Client, pl *plan.Plan, o DefinitionOptions) (*pb.Definition, error) {
	ps := pl.Stage(o.Stage)
	if ps == nil {
		return nil, fmt.Errorf("stage %s is not planned", o.Stage)
	}
	if o.Gate && !ps.Gate {
		return nil, fmt.Errorf("stage %s is not a gate (it has no test command)", o.Stage)
	}
	if c == nil {
		return definition(ctx, pl, o, nil)
	}
	var def *pb.Definition
	var fnErr error
	resolve := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		bases, err := resolveBases(ctx, gw, pl, o.Platform, false)
		if err != nil {
			fnErr = err
			return nil, err
		}
		def, fnErr = definition(ctx, pl, o, bases)
		if fnErr != nil {
			return nil, fnErr
		}
		return gateway.NewResult(), nil
	}
	if _, err := c.Build(ctx, client.SolveOpt{}, "stagebuild", resolve, nil); err != nil {
		// The function's error comes back across the daemon as text; keep
		// the original, which says what failed.
		if fnErr != nil {
			return nil, fnErr
		}
		return nil, err
	}
	return def, nil
}

func definition(ctx context.Context, pl *plan.Plan, o DefinitionOptions, bases map[string]llbgen.BaseImage) (*pb.Definition, error) {
	hint := o.ContextDir
	if abs, err := filepath.Abs(o.ContextDir); err == nil {
		hint = abs
	}
	graph, err := llbgen.Generate(pl, llbgen.Options{Platform: o.Platform, Bases: bases, SharedKeyHint: hint})
	if err != nil {
		return nil, err
	}
	st := graph.Stage(o.Stage)
	if st == nil {
		return nil, fmt.Errorf("stage %s was not generated", o.Stage)
	}
	if o.Gate {
		return graph.MarshalState(ctx, st.Result)
	}
	return graph.Marshal(ctx, o.Stage)
}
