package plan

import (
	"path"
	"sync"

	"github.com/stagebuild/stagebuild/pipeline"
)

// stagePlan is what planning one stage gives: its plan, the context paths
// it copies, and its warnings.
type stagePlan struct {
	stage    Stage
	includes []string
	warnings []string
}

// parallelStages is the pipeline size from which planStages plans the
// second half of the stages on a goroutine of its own: each stage's plan
// depends on that stage alone.
const parallelStages = 64

// planStages plans the named stages, in their order. A pattern error is
// the first in that order, as one loop would find it.
func planStages(p *pipeline.Pipeline, names []string, ps *patterns) []stagePlan {
	out := make([]stagePlan, len(names))
	half := len(names)
	var second patterns
	var wg sync.WaitGroup
	if len(names) >= parallelStages {
		half = len(names) / 2
		wg.Go(func() {
			for i := half; i < len(names); i++ {
				out[i] = planStage(p, names[i], &second)
			}
		})
	}
	for i := range half {
		out[i] = planStage(p, names[i], ps)
	}
	wg.Wait()
	if ps.err == nil {
		ps.err = second.err
	}
	return out
}

// planStage plans one stage: what the pipeline alone decides of it.
func planStage(p *pipeline.Pipeline, name string, ps *patterns) stagePlan {
	s := p.Stage(name)
	st := Stage{Name: name, Gate: s.IsGate(), Config: config(s), AllowFailure: s.AllowFailure,
		Reports: s.Reports.Value, Checks: planChecks(s.Checks, name, ps)}
	if s.FromStage != "" {
		st.Base.Stage = s.FromStage
	} else {
		st.Base.Image = s.From.Value
	}
	var sp stagePlan
	for _, c := range s.Copy {
		if c.From.Value == "" && c.URL.Value == "" {
			sp.includes = append(sp.includes, path.Clean(c.Src.Value))
		}
	}
	sp.warnings = orderStage(s, &st)
	mounts := cacheMounts(s)
	if s.Test != nil {
		st.Steps = append(st.Steps, Step{Kind: StepTest, Args: s.Test.Args, Shell: s.Test.Shell, CacheMounts: mounts, Source: s.Test.Pos.String()})
	}
	attachMounts(s, &st)
	sp.stage = st
	return sp
}
