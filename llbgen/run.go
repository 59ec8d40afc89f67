package llbgen

import (
	"encoding/json"
	"fmt"

	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/plan"
)

// runOptions are a run or test step's argv, name and mounts; binds are its
// other stages' mounts (bindMounts).
func runOptions(step plan.Step, name string, binds []llb.RunOption) []llb.RunOption {
	ro := []llb.RunOption{llb.Args(argv(step.Args, step.Shell)), llb.WithCustomName(name)}
	ro = append(ro, binds...)
	for _, m := range step.CacheMounts {
		ro = append(ro, llb.AddMount(m.Target, llb.Scratch(), llb.AsPersistentCacheDir(m.ID, llb.CacheMountLocked)))
	}
	for _, s := range step.Secrets {
		// Readable by the step's user, whoever that is.
		opts := []llb.SecretOption{llb.SecretID(s.ID), llb.SecretFileOpt(0, 0, 0o444)}
		if s.Optional {
			opts = append(opts, llb.SecretOptional)
		}
		if s.Env != "" {
			ro = append(ro, llb.AddSecretWithDest(s.ID, nil, append(opts, llb.SecretAsEnvName(s.Env))...))
		} else {
			ro = append(ro, llb.AddSecret(s.Target, opts...))
		}
	}
	for _, id := range step.SSH {
		ro = append(ro, llb.AddSSHSocket(llb.SSHID(id)))
	}
	return ro
}

// bindMounts mounts each of a step's BindMounts read-only from the final
// state of its stage, as RUN --mount=type=bind,from=STAGE does: the step
// reads the files, its layer (the root mount's diff) never holds them.
func (g *Graph) bindMounts(stage string, step plan.Step) ([]llb.RunOption, error) {
	var ro []llb.RunOption
	for _, m := range step.BindMounts {
		from := g.stages[m.From]
		if from == nil {
			return nil, fmt.Errorf("stage %s mounts stage %s, which is not generated before it", stage, m.From)
		}
		ro = append(ro, llb.AddMount(m.Target, from.State, llb.SourcePath(m.Source), llb.Readonly))
	}
	return ro, nil
}

func argv(args []string, shell bool) []string {
	if shell {
		return []string{"/bin/sh", "-c", args[0]}
	}
	return args
}

// constraints turns constraint options into run options.
func constraints(cs []llb.ConstraintsOpt) []llb.RunOption {
	var out []llb.RunOption
	for _, c := range cs {
		out = append(out, c.(llb.RunOption))
	}
	return out
}

func describe(s plan.Step) string {
	switch s.Kind {
	case plan.StepFile:
		return "FILE " + s.Dest
	case plan.StepCopy:
		if s.From != "" {
			return fmt.Sprintf("COPY --from=%s %s %s", s.From, s.Src, s.Dest)
		}
		return fmt.Sprintf("COPY %s %s", s.Src, s.Dest)
	case plan.StepFetch:
		return fmt.Sprintf("ADD %s %s", s.URL, s.Dest)
	case plan.StepTest:
		return "TEST " + argString(s)
	}
	return "RUN " + argString(s)
}

func argString(s plan.Step) string {
	if s.Shell {
		return s.Args[0]
	}
	b, _ := json.Marshal(s.Args)
	return string(b)
}
