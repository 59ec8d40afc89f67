package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/stagebuild/stagebuild/testenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	out       string
	runs      int
	scenarios []string
	keep      bool
	pipeline  string
	merge     string
	frontend  bool
	output    string
}

func parseFlags() (options, error) {
	var o options
	var names string
	flag.StringVar(&o.out, "o", "BENCHMARKS.md", "write the markdown report here")
	flag.IntVar(&o.runs, "runs", 5, "timed runs per scenario and tool")
	flag.StringVar(&names, "scenarios", "", "comma-separated scenarios to run (default all): cold,noop,src-edit,req-edit,noisy-context,failing-test,llbgen,services")
	flag.BoolVar(&o.keep, "keep", false, "keep the work dir (progress logs, workspaces, daemon root)")
	flag.StringVar(&o.pipeline, "pipeline", "equivalent", "S's pipeline: equivalent (bench/python-service.stagebuild.yaml, the Dockerfile's equivalent), example (the example's own stagebuild.yaml) "+
		"or lock (the lockfile shape: the example with a pyproject.toml and a uv.lock made at setup, bench/"+lockPipeline+" against bench/"+lockDockerfile+"; "+
		"scenarios "+strings.Join(lockScenarios, ",")+" by default, its report one \"## Lockfile shape\" section to -merge)")
	flag.StringVar(&o.merge, "merge", "", "run nothing: copy the -scenarios' own sections (services, llbgen, lock) from this report into -o, leaving the rest of -o as it is")
	flag.BoolVar(&o.frontend, "frontend", true, "also time F, the stagebuild frontend image through buildctl --frontend gateway.v0 (equivalent pipeline only)")
	flag.StringVar(&o.output, "output", "tar", "what every tool exports: tar (an OCI tar per tool) or push (to the local registry, "+testenv.RegistryAddr+"/bench/TOOL)")
	flag.Parse()
	if o.output != "tar" && o.output != "push" {
		return o, fmt.Errorf("-output %q: must be tar or push", o.output)
	}
	if o.pipeline != "equivalent" && o.pipeline != "example" && o.pipeline != "lock" {
		return o, fmt.Errorf("-pipeline %q: must be equivalent, example or lock", o.pipeline)
	}
	if o.pipeline != "equivalent" {
		// example: its smoke check needs `stagebuild build`; lock: its
		// report is the one section -merge moves.
		o.frontend = false
	}
	if o.runs < 1 {
		return o, fmt.Errorf("-runs %d: must be at least 1", o.runs)
	}
	if names != "" {
		o.scenarios = strings.Split(names, ",")
	}
	if o.pipeline == "lock" && o.merge == "" {
		if len(o.scenarios) == 0 {
			o.scenarios = lockScenarios
		}
		for _, n := range o.scenarios {
			if !slices.Contains(append(slices.Clone(lockScenarios), "noisy-context", "failing-test"), n) {
				return o, fmt.Errorf("-scenarios %s: not a scenario of -pipeline lock (it runs %s, noisy-context, failing-test)", n, strings.Join(lockScenarios, ", "))
			}
		}
	}
	return o, nil
}

func run() error {
	opts, err := parseFlags()
	if err != nil {
		return err
	}
	if opts.merge != "" {
		return mergeReport(opts.merge, opts.out, opts.scenarios)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env, err := testenv.Up(ctx, testenv.Options{Log: os.Stderr})
	if err != nil {
		return err
	}
	all := scenarios("")
	valid := []string{"llbgen", "services"}
	for _, sc := range all {
		valid = append(valid, sc.name)
	}
	for _, n := range opts.scenarios {
		if !slices.Contains(valid, n) {
			return fmt.Errorf("-scenarios: unknown %q (valid: %s)", n, strings.Join(valid, ", "))
		}
	}
	if opts.frontend {
		allTools = append(allTools, toolF)
	}
	want := func(name string) bool { return len(opts.scenarios) == 0 || slices.Contains(opts.scenarios, name) }
	for _, bin := range []string{"stagebuild", "buildctl", "buildkitd"} {
		if _, err := os.Stat(filepath.Join(env.RepoRoot, "bin", bin)); err != nil {
			return fmt.Errorf("bin/%s missing: run `make build bin/buildctl` (or `make bench`)", bin)
		}
	}
	rep := &report{runs: opts.runs, started: time.Now(), machine: machineInfo(env.RepoRoot), pipeline: opts.pipeline,
		args: strings.Join(os.Args[1:], " ")}
	if want("llbgen") {
		logf("go test -bench Generate500 ./llbgen")
		rep.gobench, rep.gobenchErr = goBench(ctx, env.RepoRoot)
	}
	var selected []string
	for _, sc := range all {
		if want(sc.name) {
			selected = append(selected, sc.name)
		}
	}
	if len(selected) > 0 || want("services") {
		work, err := os.MkdirTemp("", "stagebuild-bench-")
		if err != nil {
			return err
		}
		d := &daemon{bin: env.BuildkitdBin, config: env.BuildkitdConfig, root: filepath.Join(work, "buildkitd")}
		defer func() {
			d.stop()
			if opts.keep {
				logf("work dir kept: %s", work)
			} else if err := removeRoot(work); err != nil {
				logf("removing %s: %v", work, err)
			}
		}()
		if err := d.start(ctx); err != nil {
			return err
		}
		// A snapshot of the example: others may edit it while this runs,
		// and every restore must give the same files.
		example := filepath.Join(work, "example")
		if err := copyTree(filepath.Join(env.RepoRoot, "examples", "python-service"), example); err != nil {
			return err
		}
		if opts.pipeline == "lock" {
			if err := setupLock(ctx, env.RepoRoot, work, example); err != nil {
				return err
			}
		}
		if opts.pipeline == "equivalent" {
			if err := copyFile(filepath.Join(env.RepoRoot, "bench", "python-service.stagebuild.yaml"), filepath.Join(example, "stagebuild.yaml")); err != nil {
				return err
			}
		}
		if err := copyFile(filepath.Join(env.RepoRoot, "bench", "python-service.dockerignore"), filepath.Join(example, ".dockerignore")); err != nil {
			return err
		}
		r := &runner{repo: env.RepoRoot, work: work, daemon: d, frontendImage: env.FrontendImage, push: opts.output == "push"}
		if opts.pipeline == "lock" {
			r.dockerfile = lockDockerfile
		}
		for _, sc := range scenarios(example) {
			if !slices.Contains(selected, sc.name) {
				continue
			}
			m, err := measure(ctx, r, example, sc, opts.runs)
			if err != nil {
				return fmt.Errorf("scenario %s: %w", sc.name, err)
			}
			rep.results = append(rep.results, m)
		}
		if err := rep.measureServices(ctx, r, opts); err != nil {
			return err
		}
	}
	if err := os.WriteFile(opts.out, []byte(rep.markdown()), 0o644); err != nil {
		return err
	}
	logf("wrote %s", opts.out)
	return nil
}

// measured is one scenario's results, per tool.
type measured struct {
	sc  scenario
	res map[string][]result
}

func measure(ctx context.Context, r *runner, example string, sc scenario, runs int) (measured, error) {
	m := measured{sc: sc, res: map[string][]result{}}
	ws := filepath.Join(r.work, "ws-"+sc.name)
	if err := copyTree(example, ws); err != nil {
		return m, err
	}
	if sc.setup != nil {
		logf("%s: setting up", sc.name)
		if err := sc.setup(ws); err != nil {
			return m, err
		}
	}
	once := func(tool string, run int) (result, error) {
		if sc.prepare != nil {
			if err := sc.prepare(ws, tool, run); err != nil {
				return result{}, err
			}
		}
		if sc.cold {
			// No build cache, and no earlier output for S to take
			// blobs from (build/reuse.go).
			if err := os.RemoveAll(filepath.Join(r.work, "out")); err != nil {
				return result{}, err
			}
			if err := r.daemon.fresh(ctx); err != nil {
				return result{}, err
			}
		}
		res, err := r.run(ctx, tool, ws)
		if err != nil {
			return res, err
		}
		// stagebuild exits 3 when a gate failed, 1 when the build broke.
		wantFail := sc.fails && run >= 0
		if res.Failed != wantFail || (wantFail && tool == toolS && res.Exit != 3) {
			return res, fmt.Errorf("%s run %d: exit code %d, want a failure: %v; progress log %s:\n%s",
				tool, run, res.Exit, wantFail, res.Logs[len(res.Logs)-1], tail(res.Logs[len(res.Logs)-1], 15))
		}
		return res, nil
	}
	for w := 1; w <= sc.warm; w++ {
		for _, tool := range allTools {
			res, err := once(tool, -w)
			if err != nil {
				return m, err
			}
			logf("%s: warm-up %d %-2s %6.2fs", sc.name, w, tool, res.Wall.Seconds())
		}
	}
	for i := 0; i < runs; i++ {
		// Rotate the order so no tool always runs right after another.
		for k := range allTools {
			tool := allTools[(i+k)%len(allTools)]
			res, err := once(tool, i)
			if err != nil {
				return m, err
			}
			m.res[tool] = append(m.res[tool], res)
			logf("%s: run %d/%d %-2s %6.2fs  exec/cached %d/%d", sc.name, i+1, runs, tool, res.Wall.Seconds(),
				res.Stats.Executed, res.Stats.Cached)
		}
	}
	return m, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// tail returns the last n lines of a progress log that are not rawjson,
// then the errors of its vertices.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if !strings.HasPrefix(l, "{") {
			lines = append(lines, l)
		}
	}
	if f, err := os.Open(path); err == nil {
		if t, err := parseRawJSON(f); err == nil {
			for _, v := range t.vertexes {
				if v.err != "" {
					lines = append(lines, "vertex "+v.name+": "+v.err)
				}
			}
		}
		f.Close()
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:300] + "…"
		}
	}
	return strings.Join(lines, "\n")
}
