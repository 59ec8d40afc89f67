package dockerfile

import (
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/stagebuild/stagebuild/plan"
)

// validStageName is what the dockerfile frontend accepts after AS.
func validStageName(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	return strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == ""
}

func writeStage(b *strings.Builder, pl *plan.Plan, st *plan.Stage, ctx fs.FS) error {
	if !validStageName(st.Name) {
		return fmt.Errorf("%q is not a valid Dockerfile stage name (it must start with a letter a-z): rename the stage", st.Name)
	}
	if err := writeVariants(b, st); err != nil {
		return err
	}
	for _, c := range stageComments(pl, st) {
		fmt.Fprintf(b, "# %s\n", c)
	}
	base := st.Base.Stage
	if base == "" {
		base = st.Base.Image
	}
	if base == "" || strings.ContainsAny(base, " \t\n\r\"'$\\") {
		return fmt.Errorf("base %q cannot be written in a FROM line", base)
	}
	fmt.Fprintf(b, "FROM %s AS %s\n", base, st.Name)
	if err := writeConfig(b, st.Config); err != nil {
		return err
	}
	for i, step := range st.Steps {
		line, err := stepLine(pl, st, i, ctx)
		if err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, step.Source, err)
		}
		if line != "" {
			b.WriteString(line + "\n")
		}
	}
	gates, err := blockingGates(pl, st.Name)
	if err != nil {
		return err
	}
	if len(gates) > 0 {
		b.WriteString("RUN")
		for _, g := range gates {
			fmt.Fprintf(b, " --mount=type=bind,from=%s,target=%s", g, GateMarker(g))
		}
		b.WriteString(" true\n")
	}
	return nil
}

// stageComments name what the stage has that a Dockerfile cannot do.
func stageComments(pl *plan.Plan, st *plan.Stage) []string {
	var out []string
	if st.Gate {
		out = append(out, fmt.Sprintf("Gate %s: its test command fails the build when the tests fail.", st.Name))
	}
	if st.Reports != "" {
		out = append(out, fmt.Sprintf("Reports: the tests see an empty %s, but a Dockerfile build does not copy reports out (stagebuild build does, pass or fail).", st.Reports))
	}
	if st.AllowFailure {
		out = append(out, "allow_failure: a Dockerfile has no advisory gates; this one fails a build of itself, and no image waits for it.")
	}
	if adv := advisoryGates(pl, st.Name); len(adv) > 0 {
		out = append(out, fmt.Sprintf("Advisory gates %s are not run for this image (only stagebuild build reports them).", strings.Join(adv, ", ")))
	}
	if needs := buildFlags(st); len(needs) > 0 {
		out = append(out, "Build with: "+strings.Join(needs, " "))
	}
	if st.Checks != nil {
		out = append(out, "Image checks (files, commands, metadata, smoke test) have no Dockerfile equivalent: only stagebuild build enforces them.")
	}
	if st.Purity != nil {
		out = append(out, "The purity check (no test-only packages or files) has no Dockerfile equivalent: only stagebuild build enforces it.")
	}
	return out
}

// buildFlags are the build flags the stage's secrets and SSH agents need.
func buildFlags(st *plan.Stage) []string {
	var out []string
	for _, step := range st.Steps {
		for _, s := range step.Secrets {
			if f := "--secret id=" + s.ID; !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
		for _, id := range step.SSH {
			if f := "--ssh " + id; !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func writeConfig(b *strings.Builder, c plan.Config) error {
	line := func(instr, what, v string) error {
		w, err := word(what, v)
		if err == nil {
			fmt.Fprintf(b, "%s %s\n", instr, w)
		}
		return err
	}
	if c.Workdir != "" {
		if err := line("WORKDIR", "workdir", c.Workdir); err != nil {
			return err
		}
	}
	for _, e := range c.Env {
		if !envName.MatchString(e.Key) {
			return fmt.Errorf("env name %q cannot be written in a Dockerfile ENV", e.Key)
		}
		v, err := envValue(e.Key, e.Value)
		if err != nil {
			return err
		}
		fmt.Fprintf(b, "ENV %s=%s\n", e.Key, v)
	}
	if c.User != "" {
		if err := line("USER", "user", c.User); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(c.Labels))
	for k := range c.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kw, err := word("label", k)
		if err != nil {
			return err
		}
		vw, err := word("label "+k, c.Labels[k])
		if err != nil {
			return err
		}
		fmt.Fprintf(b, "LABEL %s=%s\n", kw, vw)
	}
	if len(c.Expose) > 0 {
		var ports []string
		for _, p := range c.Expose {
			w, err := word("expose", p)
			if err != nil {
				return err
			}
			ports = append(ports, w)
		}
		fmt.Fprintf(b, "EXPOSE %s\n", strings.Join(ports, " "))
	}
	// ENTRYPOINT before CMD: an ENTRYPOINT clears the inherited CMD unless
	// this stage sets one, as the plan's config does.
	if c.Entrypoint != nil {
		fmt.Fprintf(b, "ENTRYPOINT %s\n", jsonArgs(c.Entrypoint))
	}
	if c.Cmd != nil {
		fmt.Fprintf(b, "CMD %s\n", jsonArgs(c.Cmd))
	}
	return nil
}

func stepLine(pl *plan.Plan, st *plan.Stage, i int, ctx fs.FS) (string, error) {
	step := st.Steps[i]
	switch step.Kind {
	case plan.StepFetch:
		return fetchLine(st, i)
	case plan.StepCopy:
		return copyLine(pl, step, ctx)
	case plan.StepFile:
		return fileLine(step)
	case plan.StepRun, plan.StepTest:
		return runLine(st, step)
	}
	return "", fmt.Errorf("step kind %q has no Dockerfile translation in this version of stagebuild dockerfile", step.Kind)
}
