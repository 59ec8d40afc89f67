package stagebuild

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/state"
)

// PlanRequest is one `stagebuild plan`.
type PlanRequest struct {
	Project
	// Targets are the stages to plan; none means the pipeline's default.
	Targets []string
	// Changed are context-relative slash paths to explain rebuilds for;
	// none means what changed since the last recorded build.
	Changed []string
}

// PlanReport is the output of `stagebuild plan --format json`: the plan
// itself (its fields, version included, at the top level), the context
// directory it was made over, and what changed and what that rebuilds.
type PlanReport struct {
	*plan.Plan
	ContextDir string         `json:"context_dir"`
	From       string         `json:"changes_from,omitempty"`
	Changes    *[]plan.Change `json:"changes,omitempty"`
	Rebuild    []plan.Rebuild `json:"rebuild,omitempty"`
	Cached     []string       `json:"cached,omitempty"`
	// Inputs are the context files that feed each step now; nil when the
	// context could not be read.
	Inputs *plan.Inputs `json:"-"`
}

// Plan makes the plan of the requested targets and explains which stages
// will rebuild: for the Changed paths, else against the record of the last
// successful build (a missing record is said on Log, not an error).
func Plan(req PlanRequest) (*PlanReport, error) {
	p, res, err := req.load(req.Targets)
	if err != nil {
		return nil, err
	}
	pl, err := req.plan(p, res)
	if err != nil {
		return nil, err
	}
	cur, err := plan.ComputeInputs(req.ContextDir, pl)
	if err != nil {
		fmt.Fprintf(req.log(), "stagebuild: warning: reading the build context: %s\n", oneLine(err.Error()))
		cur = nil
	}
	out := &PlanReport{Plan: pl, ContextDir: req.ContextDir, Inputs: cur}
	changes, from := req.changes(p, pl, cur)
	if from != "" {
		out.From, out.Changes = from, &changes
		out.Rebuild = plan.Explain(pl, changes)
		for _, st := range pl.Stages {
			if rebuildOf(out.Rebuild, st.Name) == nil {
				out.Cached = append(out.Cached, st.Name)
			}
		}
	}
	return out, nil
}

// changes returns the changes to explain and where they come from:
// "changed" (Changed), "record" (the last build), or "" for none.
func (req PlanRequest) changes(p *pipeline.Pipeline, pl *plan.Plan, cur *plan.Inputs) ([]plan.Change, string) {
	changes := []plan.Change{}
	if len(req.Changed) > 0 {
		for _, c := range req.Changed {
			changes = append(changes, plan.Change{Kind: plan.ChangeFile, Path: c, Detail: "changed"})
		}
		return changes, "changed"
	}
	if cur == nil {
		return nil, ""
	}
	rec, err := state.LoadRecord(req.ContextDir, req.File)
	if err != nil {
		fmt.Fprintf(req.log(), "stagebuild: warning: the record of the last build: %s\n", oneLine(err.Error()))
	}
	if rec == nil {
		fmt.Fprintf(req.log(), "stagebuild: no previous build recorded for %s; run stagebuild build first, or pass --changed PATH\n", req.ContextDir)
		return nil, ""
	}
	changes = append(changes, plan.DiffInputs(rec.Inputs, cur, pl)...)
	nameArgs(changes, rec.Args, p.ArgValues)
	return changes, "record"
}

// nameArgs adds the args whose values differ from the record's to the
// detail of arg changes: the plan cannot tell which arg a step used, but
// only those can have changed it.
func nameArgs(changes []plan.Change, old, cur map[string]string) {
	var diff []string
	for k, v := range cur {
		if was, ok := old[k]; ok && was != v {
			diff = append(diff, fmt.Sprintf("%s %q → %q", k, was, v))
		}
	}
	if len(diff) == 0 {
		return
	}
	sort.Strings(diff)
	for i, c := range changes {
		if c.Kind == plan.ChangeArg {
			changes[i].Detail = "build arg changed: " + strings.Join(diff, ", ")
		}
	}
}

// rebuildOf returns the rebuild of stage, or nil when it stays cached.
func rebuildOf(rs []plan.Rebuild, stage string) *plan.Rebuild {
	for i := range rs {
		if rs[i].Stage == stage {
			return &rs[i]
		}
	}
	return nil
}
