package plan

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Change kinds.
const (
	ChangeFile     = "file"     // a file of the build context
	ChangeArg      = "arg"      // a --build-arg value changed a step's definition
	ChangeBase     = "base"     // a base image's digest
	ChangePipeline = "pipeline" // a step's definition, or a stage new to the record
)

// Change is one difference between the inputs of the last build and now.
type Change struct {
	// Kind is one of the Change* constants.
	Kind string `json:"kind"`
	// Path is the context-relative slash path of a file change, or the image
	// reference of a base change.
	Path string `json:"path,omitempty"`
	// Detail says what changed, for people ("changed", "added", "removed",
	// "step definition changed", ...).
	Detail string `json:"detail,omitempty"`
	// Stage and Step locate arg and pipeline changes (and a base change by
	// stage): the first step of the stage whose definition changed. Step may
	// be len(Steps): the stage's own steps are unchanged but its result is
	// not (trailing steps were removed). An absent step means 0.
	Stage string `json:"stage,omitempty"`
	Step  int    `json:"step,omitempty"`
}

// Rebuild is a stage that will not come wholly from the cache.
type Rebuild struct {
	Stage string `json:"stage"`
	// FromStep indexes Stage.Steps: the first step that re-runs. 0 is the
	// whole stage; -1 means none of the stage's own steps re-run, only its
	// base (or its result) changed.
	FromStep int    `json:"from_step"`
	Reason   string `json:"reason"`
	// Parent is set when the stage rebuilds because its base stage does.
	Parent string `json:"parent,omitempty"`
}

// Explain tells, per stage in plan order, which step re-runs first given
// the changes, and why. A stage built FROM a rebuilt stage rebuilds entirely;
// a stage merely gated by one does not. Stages that stay cached are omitted.
func Explain(p *Plan, changes []Change) []Rebuild {
	var out []Rebuild
	rebuilt := map[string]bool{}
	for i := range p.Stages {
		st := &p.Stages[i]
		n := len(st.Steps)
		if st.Base.Stage != "" && rebuilt[st.Base.Stage] {
			out = append(out, Rebuild{Stage: st.Name, FromStep: stepOrBase(0, n),
				Reason: "base stage " + st.Base.Stage + " rebuilds", Parent: st.Base.Stage})
			rebuilt[st.Name] = true
			continue
		}
		first := n + 1 // none yet; n means "result only"
		var reasons []string
		for _, c := range changes {
			idx, reason, ok := affects(p, st, c)
			if !ok {
				continue
			}
			if idx < first {
				first, reasons = idx, nil
			}
			if idx == first && !slices.Contains(reasons, reason) {
				reasons = append(reasons, reason)
			}
		}
		for i, s := range st.Steps {
			if s.From != "" && rebuilt[s.From] && i <= first {
				if i < first {
					first, reasons = i, nil
				}
				reasons = append(reasons, "copies from stage "+s.From+", which rebuilds")
				break
			}
		}
		if first > n {
			continue
		}
		rebuilt[st.Name] = true
		out = append(out, Rebuild{Stage: st.Name, FromStep: stepOrBase(first, n), Reason: joinReasons(reasons)})
	}
	return out
}

// affects returns the first step of st that c invalidates.
func affects(p *Plan, st *Stage, c Change) (int, string, bool) {
	n := len(st.Steps)
	switch c.Kind {
	case ChangeFile:
		file := path.Clean(c.Path)
		if Excluded(file, DefaultExcludes()) || Excluded(file, p.Context.Excludes) {
			return 0, "", false
		}
		for i, s := range st.Steps {
			if s.Src != "" && s.From == "" && Reads(s.Src, file) {
				return i, file + " " + orText(c.Detail, "changed"), true
			}
		}
	case ChangeBase:
		if c.Stage == st.Name || (c.Path != "" && c.Path == st.Base.Image) {
			img := orText(c.Path, st.Base.Image)
			return 0, strings.TrimSpace("base image " + img + " changed " + c.Detail), true
		}
	default: // arg, pipeline, and kinds added later: located by stage and step
		if c.Stage == st.Name {
			return min(max(c.Step, 0), n), orText(c.Detail, c.Kind+" changed"), true
		}
	}
	return 0, "", false
}

// stepOrBase maps "no step of its own" (n) to -1.
func stepOrBase(i, n int) int {
	if i >= n {
		return -1
	}
	return i
}

func joinReasons(r []string) string {
	const keep = 3
	if len(r) > keep {
		return fmt.Sprintf("%s and %d more", strings.Join(r[:keep], ", "), len(r)-keep)
	}
	return strings.Join(r, ", ")
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// DiffInputs lists what differs between the inputs recorded by the last
// build and the current ones, in plan order: changed files by path (added,
// removed or changed), the first step per stage whose definition changed
// (kind arg when the pipeline file is unchanged, so only a --build-arg can
// explain it, else pipeline), stages the record lacks, and base digests.
func DiffInputs(old, cur *Inputs, p *Plan) []Change {
	var out []Change
	seen := map[string]bool{}
	for _, st := range p.Stages {
		od, ok := old.Stages[st.Name]
		cd := cur.Stages[st.Name]
		switch {
		case old.Version != cur.Version:
			out = append(out, Change{Kind: ChangePipeline, Stage: st.Name, Detail: "the record has another format"})
			continue
		case !ok:
			out = append(out, Change{Kind: ChangePipeline, Stage: st.Name, Detail: "not built by the last recorded build"})
			continue
		}
		defDone := false
		for i := range cd {
			if i < len(od) && od[i] == cd[i] {
				continue
			}
			if i >= len(od) {
				if !defDone {
					defDone = true
					out = append(out, Change{Kind: ChangePipeline, Stage: st.Name, Step: i, Detail: "step added"})
				}
				continue
			}
			if !defDone && digestAt(old.Defs, st.Name, i) != digestAt(cur.Defs, st.Name, i) {
				defDone = true
				out = append(out, defChange(old, cur, st.Name, i))
			}
			for _, c := range diffFileDigests(filesAt(old, st.Name, i), filesAt(cur, st.Name, i)) {
				if !seen[c.Path] {
					seen[c.Path] = true
					out = append(out, c)
				}
			}
		}
		if !defDone && len(od) > len(cd) {
			out = append(out, Change{Kind: ChangePipeline, Stage: st.Name, Step: len(cd), Detail: "steps removed"})
		}
	}
	for _, img := range inputKeys(cur.Bases) {
		if was := old.Bases[img]; was != "" && was != cur.Bases[img] {
			out = append(out, Change{Kind: ChangeBase, Path: img, Detail: was + " → " + cur.Bases[img]})
		}
	}
	return out
}

// defChange is a changed step definition: an arg when the pipeline file is
// the same, since only a --build-arg can then change it.
func defChange(old, cur *Inputs, stage string, i int) Change {
	c := Change{Kind: ChangePipeline, Stage: stage, Step: i, Detail: "step definition changed in the pipeline file"}
	if old.Pipeline != "" && old.Pipeline == cur.Pipeline {
		c.Kind, c.Detail = ChangeArg, "step definition changed by a build arg"
	}
	return c
}

func diffFileDigests(old, cur map[string]string) []Change {
	var out []Change
	for _, k := range inputKeys(cur) {
		switch was, ok := old[k]; {
		case !ok:
			out = append(out, Change{Kind: ChangeFile, Path: k, Detail: "added"})
		case was != cur[k]:
			out = append(out, Change{Kind: ChangeFile, Path: k, Detail: "changed"})
		}
	}
	for _, k := range inputKeys(old) {
		if _, ok := cur[k]; !ok {
			out = append(out, Change{Kind: ChangeFile, Path: k, Detail: "removed"})
		}
	}
	return out
}

func digestAt(m map[string][]string, stage string, i int) string {
	if s := m[stage]; i < len(s) {
		return s[i]
	}
	return ""
}

func filesAt(in *Inputs, stage string, i int) map[string]string {
	if s := in.Files[stage]; i < len(s) {
		return s[i]
	}
	return nil
}
