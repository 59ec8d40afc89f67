package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild"
)

// LLBOptions are the parsed flags of `stagebuild llb`.
type LLBOptions struct {
	File       string
	ContextDir string
	// Target is the stage to dump; empty means the pipeline's default.
	Target string
	// Gate, when set, dumps that gate's result instead.
	Gate      string
	BuildArgs map[string]string
	Addr      string
	// NoResolve uses base images by name, without a daemon.
	NoResolve bool
}

func newLLBCmd(s Streams, runF func(*LLBOptions) error) *cobra.Command {
	var target, gate string
	var noResolve bool
	var bo *BuildOptions
	bc := newBuildCmd(s, func(o *BuildOptions) error { bo = o; return nil })
	cmd := &cobra.Command{
		Use:   "llb [flags] [DIR]",
		Short: "Dump the LLB of a target, or of a gate's result, as JSON",
		Long: `Print the LLB definition that stagebuild build solves for a target, one JSON object per op in
definition order, as buildctl debug dump-llb prints it: {"Op": ..., "Digest": ..., "OpMetadata": ...}.
The last op names the result.

With --gate G, print the definition of gate G's result directory: where its test command's exit
code and output are recorded.

Base images are resolved on the daemon (--addr, BUILDKIT_HOST, else the local daemon) to their
digests and configs, as a build resolves them. --no-resolve uses them by name with empty configs and
needs no daemon.`,
		Example: `  stagebuild llb --target service --no-resolve | jq -c '.Op.Op | keys'
  stagebuild llb --gate tests`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usage(fmt.Errorf("llb takes at most one DIR argument, got %d (%s)", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := bc.RunE(bc, args); err != nil {
				return err
			}
			if target != "" && gate != "" {
				return usage(fmt.Errorf("--target %s and --gate %s: give one of them", target, gate))
			}
			if noResolve && bo.Addr != "" {
				return usage(fmt.Errorf("--no-resolve uses no daemon: drop --addr"))
			}
			o := &LLBOptions{File: bo.File, ContextDir: bo.ContextDir, Target: target, Gate: gate,
				BuildArgs: bo.BuildArgs, Addr: bo.Addr, NoResolve: noResolve}
			if runF != nil {
				return runF(o)
			}
			return runLLB(c.Context(), s, o)
		},
	}
	fl := cmd.Flags()
	for _, name := range []string{"file", "build-arg", "addr"} {
		fl.AddFlag(bc.Flags().Lookup(name))
	}
	fl.StringVar(&target, "target", "", "stage to dump (default: the pipeline's default, else service)")
	fl.StringVar(&gate, "gate", "", "dump this gate's result directory instead of a stage")
	fl.BoolVar(&noResolve, "no-resolve", false, "use base images by name, with empty configs: no daemon needed")
	registerTargetCompletion(cmd)
	_ = cmd.RegisterFlagCompletionFunc("gate", completeTargets)
	return cmd
}

func runLLB(ctx context.Context, s Streams, o *LLBOptions) error {
	req := stagebuild.LLBRequest{
		Project: stagebuild.Project{File: o.File, ContextDir: o.ContextDir, BuildArgs: o.BuildArgs, Log: s.Err},
		Target:  o.Target, Gate: o.Gate,
	}
	if !o.NoResolve {
		req.Connect = stagebuild.DialAddr(o.Addr, s.Err)
	}
	def, err := stagebuild.LLB(ctx, req)
	if err != nil {
		return err
	}
	return dumpLLB(s.Out, def)
}

// llbOp is one op as buildctl debug dump-llb prints it.
type llbOp struct {
	Op         *pb.Op
	Digest     digest.Digest
	OpMetadata *pb.OpMetadata
}

// dumpLLB writes each op of def as one JSON line, in definition order.
func dumpLLB(w io.Writer, def *pb.Definition) error {
	enc := json.NewEncoder(w)
	for i, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return fmt.Errorf("decoding op %d of the definition: %w", i, err)
		}
		dgst := digest.FromBytes(dt)
		ent := llbOp{Op: &op, Digest: dgst}
		ent.OpMetadata = def.Metadata[string(dgst)]
		if err := enc.Encode(ent); err != nil {
			return err
		}
	}
	return nil
}
