package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/state"
)

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

// planChanges returns the changes to explain and where they come from:
// "changed" (--changed), "record" (the last build), or "" for none.
func planChanges(s Streams, o *PlanOptions, p *pipeline.Pipeline, pl *plan.Plan, cur *plan.Inputs) ([]plan.Change, string) {
	changes := []plan.Change{}
	if len(o.Changed) > 0 {
		for _, c := range o.Changed {
			changes = append(changes, plan.Change{Kind: plan.ChangeFile, Path: c, Detail: "changed"})
		}
		return changes, "changed"
	}
	if cur == nil {
		return nil, ""
	}
	rec, err := state.LoadRecord(o.ContextDir, o.File)
	if err != nil {
		fmt.Fprintf(s.Err, "stagebuild: warning: the record of the last build: %s\n", oneLine(err.Error()))
	}
	if rec == nil {
		fmt.Fprintf(s.Err, "stagebuild: no previous build recorded for %s; run stagebuild build first, or pass --changed PATH\n", o.ContextDir)
		return nil, ""
	}
	changes = append(changes, plan.DiffInputs(rec.Inputs, cur, pl)...)
	nameArgs(changes, rec.Args, p.ArgValues)
	return changes, "record"
}

func rebuildOf(rs []plan.Rebuild, stage string) *plan.Rebuild {
	for i := range rs {
		if rs[i].Stage == stage {
			return &rs[i]
		}
	}
	return nil
}

// contextPath makes p a slash path relative to the context dir. A relative
// p is taken relative to the context when it exists there, else relative to
// the current directory when that lands inside the context.
func contextPath(contextDir, p string) (string, error) {
	absCtx, err := filepath.Abs(contextDir)
	if err != nil {
		return "", err
	}
	cand := filepath.Clean(p)
	if !filepath.IsAbs(p) {
		if _, err := os.Lstat(filepath.Join(absCtx, cand)); err != nil {
			if abs, err := filepath.Abs(p); err == nil && inside(absCtx, abs) {
				cand = abs
			}
		}
	}
	if filepath.IsAbs(cand) {
		if cand, err = filepath.Rel(absCtx, cand); err != nil {
			return "", err
		}
	}
	if cand == ".." || strings.HasPrefix(cand, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("--changed %s: outside the build context %s", p, contextDir)
	}
	return filepath.ToSlash(cand), nil
}

func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func describeChange(c plan.Change) string {
	if c.Stage != "" {
		return fmt.Sprintf("%s: %s (%s step %d)", c.Kind, c.Detail, c.Stage, c.Step+1)
	}
	return strings.TrimSpace(fmt.Sprintf("%s: %s %s", c.Kind, c.Path, c.Detail))
}

func sortedFiles(m map[string]string) []string {
	files := make([]string, 0, len(m))
	for f := range m {
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}
