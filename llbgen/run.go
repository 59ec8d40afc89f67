package llbgen

import (
	"encoding/json"
	"fmt"

	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/plan"
)

func runOptions(step plan.Step, name string) []llb.RunOption {
	ro := []llb.RunOption{llb.Args(argv(step.Args, step.Shell)), llb.WithCustomName(name)}
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
