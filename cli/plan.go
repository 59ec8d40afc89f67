package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild"
	"github.com/stagebuild/stagebuild/plan"
)

// PlanOptions are the parsed flags of `stagebuild plan`.
type PlanOptions struct {
	File       string
	ContextDir string
	Targets    []string
	BuildArgs  map[string]string
	// Changed are context-relative slash paths.
	Changed []string
	Format  string
}

func newPlanCmd(s Streams, runF func(*PlanOptions) error) *cobra.Command {
	var changed []string
	var format string
	// DIR, -f, --target and --build-arg mean what they mean to build: parse
	// them with the build command itself.
	var bo *BuildOptions
	bc := newBuildCmd(s, func(o *BuildOptions) error { bo = o; return nil })
	cmd := &cobra.Command{
		Use:   "plan [flags] [DIR]",
		Short: "Show the stages, steps and gates of a build, and which steps will re-run",
		Long: `Show what stagebuild build would do: each stage with its base, its ordered steps with the
pipeline position and the files or caches that feed each, and the gates guarding each target.

Then tell which stages will rebuild, from which step, and why: for the files given with --changed,
else for what changed since the last successful build of DIR (its inputs are recorded under the
state dir). Stages built FROM a rebuilt stage rebuild too; stages merely gated by it do not.`,
		Example: `  stagebuild plan --changed app/app.py
  stagebuild plan examples/python-service --target localdev --format json`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usage(fmt.Errorf("plan takes at most one DIR argument, got %d (%s)", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := bc.RunE(bc, args); err != nil {
				return err
			}
			if format != "text" && format != "json" {
				return usage(fmt.Errorf("--format %q: must be text or json", format))
			}
			o := &PlanOptions{File: bo.File, ContextDir: bo.ContextDir, Targets: bo.Targets, BuildArgs: bo.BuildArgs, Format: format}
			for _, p := range changed {
				rel, err := contextPath(o.ContextDir, p)
				if err != nil {
					return usage(err)
				}
				o.Changed = append(o.Changed, rel)
			}
			if runF != nil {
				return runF(o)
			}
			return runPlan(s, o)
		},
	}
	fl := cmd.Flags()
	for _, name := range []string{"file", "target", "build-arg"} {
		fl.AddFlag(bc.Flags().Lookup(name))
	}
	fl.Lookup("target").Usage = "target to plan; repeatable (default: the pipeline's default, else service)"
	fl.StringArrayVar(&changed, "changed", nil, "a changed file or dir (relative to DIR or to the current dir); repeatable. Default: what changed since the last build")
	fl.StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func runPlan(s Streams, o *PlanOptions) error {
	out, err := stagebuild.Plan(stagebuild.PlanRequest{
		Project: stagebuild.Project{File: o.File, ContextDir: o.ContextDir, BuildArgs: o.BuildArgs, Log: s.Err},
		Targets: o.Targets, Changed: o.Changed,
	})
	if err != nil {
		return err
	}
	if o.Format == "json" {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	printPlan(s, out)
	return nil
}

func printPlan(s Streams, out *stagebuild.PlanReport) {
	cur := out.Inputs
	w := s.Out
	fmt.Fprintf(w, "pipeline %s (context %s)\n\ntargets\n", out.Pipeline, out.ContextDir)
	for _, t := range out.Targets {
		gates := "no gates"
		if len(t.Gates) > 0 {
			gates = "gated by " + strings.Join(t.Gates, ", ")
		}
		fmt.Fprintf(w, "  %s  %s\n", t.Stage, gates)
	}
	fmt.Fprintln(w, "\nstages")
	for _, st := range out.Stages {
		kind, base := "", "FROM image "+st.Base.Image
		if st.Gate {
			kind = " (gate)"
		}
		if st.Base.Stage != "" {
			base = "FROM stage " + st.Base.Stage
		}
		fmt.Fprintf(w, "  %s%s  %s\n", st.Name, kind, base)
		for i, step := range st.Steps {
			fmt.Fprintf(w, "    %d. %s  (%s)\n", i+1, describeStep(step), step.Source)
			for _, f := range stepFeeds(st, i, cur) {
				fmt.Fprintf(w, "         %s\n", f)
			}
		}
	}
	if out.Changes == nil {
		return
	}
	fmt.Fprintf(w, "\nchanges (%s)\n", map[string]string{"changed": "from --changed", "record": "since the last build"}[out.From])
	for _, c := range *out.Changes {
		fmt.Fprintf(w, "  %s\n", describeChange(c))
	}
	if len(*out.Changes) == 0 {
		fmt.Fprintln(w, "  none")
	}
	fmt.Fprintln(w, "\nwill rebuild")
	for _, r := range out.Rebuild {
		var deps []string
		for _, d := range out.Rebuild {
			if d.Parent == r.Stage {
				deps = append(deps, d.Stage)
			}
		}
		line := fmt.Sprintf("  %s: %s (%s)", r.Stage, rebuildFrom(out, r), r.Reason)
		if len(deps) > 0 {
			line += " → " + strings.Join(deps, ", ")
		}
		fmt.Fprintln(w, line)
	}
	if len(out.Rebuild) == 0 {
		fmt.Fprintln(w, "  nothing")
	}
	if len(out.Cached) > 0 {
		fmt.Fprintf(w, "cached: %s\n", strings.Join(out.Cached, ", "))
	}
}

func rebuildFrom(out *stagebuild.PlanReport, r plan.Rebuild) string {
	switch {
	case r.FromStep < 0:
		return "no step of its own"
	case r.Parent != "":
		return "whole stage"
	}
	for _, st := range out.Stages {
		if st.Name == r.Stage && r.FromStep < len(st.Steps) {
			return fmt.Sprintf("step %d %s", r.FromStep+1, describeStep(st.Steps[r.FromStep]))
		}
	}
	return fmt.Sprintf("step %d", r.FromStep+1)
}

// describeStep names a step as its vertex does, shortly.
func describeStep(s plan.Step) string {
	kind := strings.ToUpper(string(s.Kind))
	switch {
	case s.URL != "" && len(s.Platforms) > 0:
		return kind + " " + s.URL + " → " + s.Dest + " on " + strings.Join(s.Platforms, ", ")
	case s.URL != "":
		return kind + " " + s.URL + " → " + s.Dest
	case s.Src != "" && (s.Dest == "" || s.Dest == s.Src):
		return kind + " " + s.Src
	case s.Src != "":
		return kind + " " + s.Src + " → " + s.Dest
	case s.Shell && len(s.Args) > 0:
		return kind + " " + s.Args[0]
	}
	b, _ := json.Marshal(s.Args)
	return kind + " " + string(b)
}

// stepFeeds lists what feeds a step: the context files it copies, the
// cache mounts and other stages' files it sees, and a gate's reports directory.
func stepFeeds(st plan.Stage, i int, cur *plan.Inputs) []string {
	step := st.Steps[i]
	var out []string
	if step.Src != "" {
		if cur == nil || i >= len(cur.Files[st.Name]) {
			out = append(out, "context: "+step.Src)
		} else {
			files := sortedFiles(cur.Files[st.Name][i])
			const show = 8
			if len(files) > show {
				files = append(files[:show], fmt.Sprintf("… %d more", len(files)-show))
			}
			out = append(out, "context: "+strings.Join(files, ", "))
		}
	}
	for _, m := range step.CacheMounts {
		out = append(out, "cache: "+m.Target)
	}
	for _, m := range step.BindMounts {
		out = append(out, fmt.Sprintf("mount: %s:%s at %s (read-only)", m.From, m.Source, m.Target))
	}
	if step.Kind == plan.StepTest && st.Reports != "" {
		out = append(out, "reports: "+st.Reports)
	}
	return out
}
