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
		t := Target{Stage: name}
		for _, g := range s.GatedBy {
			t.Gates = append(t.Gates, g.Value)
			if !seenGate[g.Value] {
				seenGate[g.Value] = true
				r.Gates = append(r.Gates, g.Value)
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

// addChain appends name and its from-ancestors, ancestors first.
func (r *Resolution) addChain(p *pipeline.Pipeline, name string, seen map[string]bool) {
	var chain []string
	for s := p.Stage(name); s != nil && !seen[s.Name]; s = p.Stage(s.FromStage) {
		chain = append(chain, s.Name)
		seen[s.Name] = true
	}
	for i := len(chain) - 1; i >= 0; i-- {
		r.Stages = append(r.Stages, chain[i])
	}
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
		for _, g := range s.GatedBy {
			d.GatedBy = append(d.GatedBy, g.Value)
		}
		out = append(out, d)
	}
	return out
}
