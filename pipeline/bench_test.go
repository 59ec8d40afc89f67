package pipeline

import (
	"testing"

	"github.com/stagebuild/stagebuild/internal/benchpipe"
)

// bench500YAML is the 500-stage pipeline of llbgen's BenchmarkGenerate500
// (without its accumulating env).
func bench500YAML() []byte { return benchpipe.YAML(false) }

// BenchmarkParse500 is the parse (YAML, args, validation) of the 500-stage
// pipeline that llbgen's BenchmarkGenerate500 generates LLB for.
func BenchmarkParse500(b *testing.B) {
	data := bench500YAML()
	b.ReportAllocs()
	cpu0 := benchpipe.CPUTime()
	for b.Loop() {
		p, err := Parse("bench.yaml", data, nil)
		if err != nil || len(p.Stages) != 500 {
			b.Fatalf("Parse: %v", err)
		}
	}
	b.ReportMetric(float64(benchpipe.CPUTime()-cpu0)/float64(b.N), "cpu-ns/op")
}
