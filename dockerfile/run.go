package dockerfile

import (
	"fmt"
	"strings"

	"github.com/stagebuild/stagebuild/plan"
)

// runLine writes a run or test step: its mounts as --mount flags, then the
// command in shell or exec form. A test runs bare, so a failing test fails
// the build.
func runLine(st *plan.Stage, step plan.Step) (string, error) {
	if len(step.Args) == 0 {
		return "", fmt.Errorf("%s step has no command", step.Kind)
	}
	flags, err := runMounts(st, step)
	if err != nil {
		return "", err
	}
	cmd := jsonArgs(step.Args)
	if step.Shell {
		cmd = shellCommand(step.Args[0])
	}
	return strings.Join(append(append([]string{"RUN"}, flags...), cmd), " "), nil
}

// mount writes one --mount flag from key=value pairs, checking each value.
func mount(kvs ...string) (string, error) {
	parts := make([]string, 0, len(kvs)/2)
	for i := 0; i+1 < len(kvs); i += 2 {
		v, err := mountValue("mount "+kvs[i], kvs[i+1])
		if err != nil {
			return "", err
		}
		parts = append(parts, kvs[i]+"="+v)
	}
	return "--mount=" + strings.Join(parts, ","), nil
}

func runMounts(st *plan.Stage, step plan.Step) ([]string, error) {
	var flags []string
	add := func(kvs ...string) error {
		f, err := mount(kvs...)
		flags = append(flags, f)
		return err
	}
	for _, m := range step.CacheMounts {
		if err := add("type", "cache", "target", m.Target, "id", m.ID, "sharing", "locked"); err != nil {
			return nil, err
		}
	}
	for _, m := range step.BindMounts {
		if err := add("type", "bind", "from", m.From, "source", m.Source, "target", m.Target); err != nil {
			return nil, err
		}
	}
	for _, s := range step.Secrets {
		// As stagebuild mounts them: readable by the step's user, and
		// required unless optional (a Dockerfile secret is optional by
		// default).
		kvs := []string{"type", "secret", "id", s.ID}
		if s.Env != "" {
			kvs = append(kvs, "env", s.Env)
		} else {
			kvs = append(kvs, "target", s.Target, "mode", "0444")
		}
		if !s.Optional {
			kvs = append(kvs, "required", "true")
		}
		if err := add(kvs...); err != nil {
			return nil, err
		}
	}
	for _, id := range step.SSH {
		if err := add("type", "ssh", "id", id, "required", "true"); err != nil {
			return nil, err
		}
	}
	if step.Kind == plan.StepTest && st.Reports != "" {
		// stagebuild gives the tests an empty directory any user can write;
		// a tmpfs is one, and keeps the reports out of the layer.
		if err := add("type", "tmpfs", "target", st.Reports); err != nil {
			return nil, err
		}
	}
	return flags, nil
}
