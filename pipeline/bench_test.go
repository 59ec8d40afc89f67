package pipeline

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bench500YAML is the 500-stage pipeline of llbgen's BenchmarkGenerate500
// (without its accumulating env): a chain of 400 stages, 99 test stages off
// every fourth and a service gated by all of them.
func bench500YAML() []byte {
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
	for i := 1; i < 400; i++ {
		fmt.Fprintf(&b, "  c%03d:\n    from: c%03d\n    env:\n", i, i-1)
		if i%50 == 0 {
			fmt.Fprintf(&b, "      STAGE: \"%d\"\n      STEP: c%03d\n      PATH: /opt/s%d/bin:${PATH}\n", i, i, i)
		} else {
			fmt.Fprintf(&b, "      STAGE: \"%d\"\n      STEP: c%03d\n", i, i)
		}
		fmt.Fprintf(&b, "    copy: [src/m%03d, {src: conf/c%03d.ini, to: /etc/bench/}]\n", i, i)
		fmt.Fprintf(&b, "    run: python -c 'import m%03d' && mkdir -p /opt/s%d/bin\n", i, i)
		if i%10 == 0 {
			b.WriteString("    cache: [/root/.cache/pip]\n")
		}
	}
	for g := 0; g < 99; g++ {
		fmt.Fprintf(&b, "  t%03d:\n    from: c%03d\n    copy: [tests/t%03d]\n    test: [pytest, -q, tests/t%03d]\n", g, 4*g+3, g, g)
	}
	b.WriteString("  service:\n    from: c399\n    copy: [docker-entrypoint.sh]\n    entrypoint: [/app/docker-entrypoint.sh]\n")
	b.WriteString("    expose: [\"3000\"]\n    gated_by:\n")
	for g := 0; g < 99; g++ {
		fmt.Fprintf(&b, "      - t%03d\n", g)
	}
	return []byte(b.String())
}

// BenchmarkParse500 is the parse (YAML, args, validation) of the 500-stage
// pipeline that llbgen's BenchmarkGenerate500 generates LLB for.
func BenchmarkParse500(b *testing.B) {
	data := bench500YAML()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		p, err := Parse("bench.yaml", data, nil)
		if err != nil || len(p.Stages) != 500 {
			b.Fatalf("Parse: %v", err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
