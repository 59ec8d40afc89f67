package llbgen

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/pipeline"
)

// The generated pipeline: a chain of benchChain stages (each with env, two
// copies and a run; every tenth with a cache mount), benchGates test stages
// branching off every fourth chain stage, and a service stage at the end of
// the chain, gated by every test stage. 400 + 99 + 1 = 500 stages.
//
// Each chain stage sets STAGE and STEP (overriding its parent's) and every
// 50th prepends to PATH, so the env stays small as in real pipelines. With
// accumulate, each stage adds a variable of its own and a PATH entry
// instead: the leaf then has ~800 env entries and the definition itself
// grows quadratically (every exec op carries its whole env).
const (
	benchChain = 400
	benchGates = 99
	benchBase  = "docker.io/library/python:3.11-slim-bookworm@sha256:00000000000000000000000000000000000000000000000000000000000000b5"
)

var benchPlatform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

func benchPipelineYAML(accumulate bool) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nargs:\n  PYTHON_IMAGE: python:3.11-slim-bookworm\ndefault: service\nstages:\n")
	b.WriteString(`  c000:
    from: ${PYTHON_IMAGE}
    workdir: /app
    env:
      VIRTUAL_ENV: /opt/venv
      PATH: /opt/venv/bin:${PATH}
    copy: [requirements.txt]
    run:
      - python -m venv /opt/venv
      - pip install -r requirements.txt
    cache: [/root/.cache/pip]
`)
	for i := 1; i < benchChain; i++ {
		fmt.Fprintf(&b, "  c%03d:\n    from: c%03d\n    env:\n", i, i-1)
		switch {
		case accumulate:
			fmt.Fprintf(&b, "      STAGE_%d: \"%d\"\n      PATH: /opt/s%d/bin:${PATH}\n", i, i, i)
		case i%50 == 0:
			fmt.Fprintf(&b, "      STAGE: \"%d\"\n      STEP: c%03d\n      PATH: /opt/s%d/bin:${PATH}\n", i, i, i)
		default:
			fmt.Fprintf(&b, "      STAGE: \"%d\"\n      STEP: c%03d\n", i, i)
		}
		fmt.Fprintf(&b, "    copy: [src/m%03d, {src: conf/c%03d.ini, to: /etc/bench/}]\n", i, i)
		fmt.Fprintf(&b, "    run: python -c 'import m%03d' && mkdir -p /opt/s%d/bin\n", i, i)
		if i%10 == 0 {
			b.WriteString("    cache: [/root/.cache/pip]\n")
		}
	}
	for g := 0; g < benchGates; g++ {
		fmt.Fprintf(&b, "  t%03d:\n    from: c%03d\n    copy: [tests/t%03d]\n    test: [pytest, -q, tests/t%03d]\n", g, 4*g+3, g, g)
	}
	fmt.Fprintf(&b, "  service:\n    from: c%03d\n    copy: [docker-entrypoint.sh]\n    entrypoint: [/app/docker-entrypoint.sh]\n", benchChain-1)
	b.WriteString("    expose: [\"3000\"]\n    gated_by:\n")
	for g := 0; g < benchGates; g++ {
		fmt.Fprintf(&b, "      - t%03d\n", g)
	}
	return []byte(b.String())
}

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

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

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
