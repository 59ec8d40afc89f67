package llbgen

import (
	"context"
	"os"
	"runtime/debug"
	"testing"
	"testing/fstest"
	"time"

	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/internal/benchpipe"
	"github.com/stagebuild/stagebuild/pipeline"
)

// The pipeline is benchpipe's: 400 + 99 + 1 = 500 stages.
const (
	benchChain = benchpipe.Chain
	benchGates = benchpipe.Gates
	benchBase  = "docker.io/library/python:3.11-slim-bookworm@sha256:00000000000000000000000000000000000000000000000000000000000000b5"
)

var benchPlatform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

func benchPipelineYAML(accumulate bool) []byte { return benchpipe.YAML(accumulate) }

// generate500 parses, resolves, plans and generates the pipeline, then
// marshals every definition a build of the target solves: the service
// image's and each gate's result (and reports, when a gate has them). It
// returns the number of ops in the service's definition and in all of them.
func generate500(b *testing.B, data []byte) (int, int) {
	p, err := pipeline.Parse("bench.yaml", data, nil)
	if err != nil {
		b.Fatal(err)
	}
	pl := makePlan(b, p, fstest.MapFS{}, "service")
	base := ocispecs.Image{Platform: benchPlatform}
	base.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	base.Config.Cmd = []string{"python3"}
	g, err := Generate(pl, Options{
		Platform:      benchPlatform,
		Bases:         map[string]BaseImage{"python:3.11-slim-bookworm": {Ref: benchBase, Config: base}},
		LocalUniqueID: "bench",
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	def, err := g.Marshal(ctx, "service")
	if err != nil {
		b.Fatal(err)
	}
	all := len(def.Def)
	for _, t := range pl.Targets {
		for _, gate := range t.Gates {
			gs := g.Stage(gate)
			states := []llb.State{gs.Result}
			if gs.Reports != nil {
				states = append(states, *gs.Reports)
			}
			for _, st := range states {
				d, err := g.MarshalState(ctx, st)
				if err != nil {
					b.Fatal(err)
				}
				all += len(d.Def)
			}
		}
	}
	return len(def.Def), all
}

// BenchmarkGenerate500 is the whole generation of a 500-stage pipeline and
// the marshalling of every definition a build of its final target solves:
// the service image's and its 99 gates' results.
func BenchmarkGenerate500(b *testing.B) { benchGenerate(b, false) }

// BenchmarkGenerate500AccumulatingEnv is the same with an env that grows by
// one variable and one PATH entry per stage: a worst case whose output is
// quadratic in the chain's depth.
func BenchmarkGenerate500AccumulatingEnv(b *testing.B) { benchGenerate(b, true) }

func cpuTime() time.Duration { return benchpipe.CPUTime() }

func benchGenerate(b *testing.B, accumulate bool) {
	data := benchPipelineYAML(accumulate)
	if p, err := pipeline.Parse("bench.yaml", data, nil); err != nil || len(p.Stages) != benchChain+benchGates+1 {
		b.Fatalf("generated pipeline: %v", err)
	}
	// The garbage collector's target that cmd/stagebuild sets (gcPercent
	// there), unless GOGC is set.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	var ops, all int
	cpu0 := cpuTime()
	for b.Loop() {
		ops, all = generate500(b, data)
	}
	// CPU time (the process's, GC workers included) varies less than wall
	// time on a machine shared with other work.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(ops), "ops/def")
	b.ReportMetric(float64(all), "ops/build")
}
