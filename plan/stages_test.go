package plan

import (
	"reflect"
	"testing"

	"github.com/stagebuild/stagebuild/internal/benchpipe"
	"github.com/stagebuild/stagebuild/pipeline"
)

// Planning a large pipeline's stages on two goroutines gives what one loop
// over them gives, and the first pattern error in stage order, whichever
// half it is in.
func TestPlanStagesInParallel(t *testing.T) {
	p, err := pipeline.Parse("bench.yaml", benchpipe.YAML(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	names := p.StageNames()
	if len(names) < 2*parallelStages {
		t.Fatalf("%d stages: too few to plan in parallel", len(names))
	}
	var seq patterns
	want := make([]stagePlan, len(names))
	for i, n := range names {
		want[i] = planStage(p, n, &seq)
	}
	var ps patterns
	if got := planStages(p, names, &ps); !reflect.DeepEqual(got, want) || ps.err != nil || seq.err != nil {
		t.Fatalf("the parallel plan differs from one loop's (errors %v, %v)", ps.err, seq.err)
	}

	bad := func(i int, text string) {
		s := p.Stage(names[i])
		s.Checks = &pipeline.Checks{Commands: []pipeline.CommandCheck{{
			Name: pipeline.Value{Value: "c"}, Stdout: pipeline.Value{Value: text, Pos: pipeline.Pos{Line: i + 1, Col: 3}},
		}}}
	}
	last := len(names) - 1
	bad(last, "(late")
	ps = patterns{}
	planStages(p, names, &ps)
	if ps.err == nil || !reflect.DeepEqual(ps.err.(*pipeline.Error).Pos, pipeline.Pos{Line: last + 1, Col: 3}) {
		t.Fatalf("an error in the second half only: %v", ps.err)
	}
	bad(1, "(early")
	ps = patterns{}
	planStages(p, names, &ps)
	if ps.err == nil || !reflect.DeepEqual(ps.err.(*pipeline.Error).Pos, pipeline.Pos{Line: 2, Col: 3}) {
		t.Fatalf("errors in both halves: %v, want the first stage's", ps.err)
	}
}
