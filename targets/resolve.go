package targets

import (
	"fmt"
	"strings"

	"github.com/stagebuild/stagebuild/pipeline"
)

// Target is one requested stage and the gates that must pass before its
// result is exported.
type Target struct {
	Stage string
	Gates []string
}

// Resolution is what a build must solve.
type Resolution struct {
	// Targets in the order they were requested.
	Targets []Target
	// Stages holds every stage needed by the targets and their gates, each
	// after the stages it builds on.
	Stages []string
	// Gates is every gate of every target, without duplicates.
	Gates []string
}

// UnknownTargetError names a target that is not a stage.
type UnknownTargetError struct {
	Name  string
	Valid []string
	Hint  string
}

func (e *UnknownTargetError) Error() string {
	return fmt.Sprintf("unknown target %q%s; valid targets: %s", e.Name, e.Hint, strings.Join(e.Valid, ", "))
}

// Resolve resolves requested target names; none means the pipeline default.
func Resolve(p *pipeline.Pipeline, requested []string) (*Resolution, error) {
	if len(requested) == 0 {
		requested = []string{p.DefaultTarget()}
	}
	r := &Resolution{}
	seenTarget := map[string]bool{}
	seenGate := map[string]bool{}
	seenStage := map[string]bool{}
	for _, name := range requested {
		s := p.Stage(name)
		if s == nil {
			hint := ""
			if sug := pipeline.Suggest(name, p.StageNames()); sug != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", sug)
			}
			return nil, &UnknownTargetError{Name: name, Valid: p.StageNames(), Hint: hint}
		}
		if seenTarget[name] {
			continue
		}
		seenTarget[name] = true
		t := Target{Stage: name, Gates: Guards(p, s)}
		for _, g := range t.Gates {
			if !seenGate[g] {
				seenGate[g] = true
				r.Gates = append(r.Gates, g)
			}
		}
		r.Targets = append(r.Targets, t)
		r.addChain(p, name, seenStage)
		for _, g := range t.Gates {
			r.addChain(p, g, seenStage)
		}
	}
	r.addServiceStages(p, seenStage) // services.go
	return r, nil
}

// Guards returns the gates that must pass before stage s is exported: its
// gated_by gates, then every gate it is built from or copies from, directly
// or through other stages. An image whose base is a gate carries that gate's files (and
// whatever its test left behind), so the gate guards it implicitly, whether
// or not gated_by names it: building `release: {from: tests}` while tests
// fails would otherwise ship an image the failing gate was meant to stop.
func Guards(p *pipeline.Pipeline, s *pipeline.Stage) []string {
	var gates []string
	add := func(g string) {
		for _, have := range gates {
			if have == g {
				return
			}
		}
		gates = append(gates, g)
	}
	for _, g := range s.GatedBy {
		add(g.Value)
	}
	seen := map[string]bool{s.Name: true}
	var walk func(a *pipeline.Stage)
	walk = func(a *pipeline.Stage) {
		for _, d := range a.Deps() {
			if seen[d] {
				continue
			}
			seen[d] = true
			if dep := p.Stage(d); dep != nil {
				if dep.IsGate() {
					add(d)
				}
				walk(dep)
			}
		}
	}
	walk(s)
	return gates
}

// addChain appends name and the stages it is built from (from: and copy
// from:, transitively), each after the stages it depends on.
func (r *Resolution) addChain(p *pipeline.Pipeline, name string, seen map[string]bool) {
	s := p.Stage(name)
	if s == nil || seen[name] {
		return
	}
	seen[name] = true
	for _, d := range s.Deps() {
		r.addChain(p, d, seen)
	}
	r.Stages = append(r.Stages, name)
}

// Description is one stage's role, for `stagebuild targets`.
type Description struct {
	Stage   string   `json:"stage"`
	From    string   `json:"from"`
	Kind    string   `json:"kind"` // "image" or "gate"
	GatedBy []string `json:"gated_by,omitempty"`
	Default bool     `json:"default,omitempty"`
}

// Describe lists every stage with its role, in declaration order.
func Describe(p *pipeline.Pipeline) []Description {
	out := make([]Description, 0, len(p.Stages))
	for _, s := range p.Stages {
		d := Description{Stage: s.Name, From: s.From.Value, Kind: "image", Default: s.Name == p.DefaultTarget()}
		if s.IsGate() {
			d.Kind = "gate"
		}
		d.GatedBy = Guards(p, s)
		out = append(out, d)
	}
	return out
}
