// Package benchpipe is the 500-stage pipeline the parse and LLB generation
// benchmarks (pipeline's BenchmarkParse500, llbgen's BenchmarkGenerate500)
// and their tests share, and the CPU time those benchmarks report.
package benchpipe

import (
	"fmt"
	"strings"
	"syscall"
	"time"
)

// The pipeline: a chain of Chain stages (each with env, two copies and a
// run; every tenth with a cache mount), Gates test stages branching off
// every fourth chain stage, and a service stage at the end of the chain,
// gated by every test stage. 400 + 99 + 1 = 500 stages.
const (
	Chain = 400
	Gates = 99
)

// YAML is the pipeline's text. Each chain stage sets STAGE and STEP
// (overriding its parent's) and every 50th prepends to PATH, so the env
// stays small as in real pipelines. With accumulate, each stage adds a
// variable of its own and a PATH entry instead: the leaf then has ~800 env
// entries and the definition itself grows quadratically (every exec op
// carries its whole env).
func YAML(accumulate bool) []byte {
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
	for i := 1; i < Chain; i++ {
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
	for g := 0; g < Gates; g++ {
		fmt.Fprintf(&b, "  t%03d:\n    from: c%03d\n    copy: [tests/t%03d]\n    test: [pytest, -q, tests/t%03d]\n", g, 4*g+3, g, g)
	}
	fmt.Fprintf(&b, "  service:\n    from: c%03d\n    copy: [docker-entrypoint.sh]\n    entrypoint: [/app/docker-entrypoint.sh]\n", Chain-1)
	b.WriteString("    expose: [\"3000\"]\n    gated_by:\n")
	for g := 0; g < Gates; g++ {
		fmt.Fprintf(&b, "      - t%03d\n", g)
	}
	return []byte(b.String())
}

// CPUTime is the user and system CPU time the process has used.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
