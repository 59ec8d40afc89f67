package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// machine describes where the numbers were taken.
type machine struct {
	CPU, Kernel, Go, BuildKit string
	LoadStart                 string // /proc/loadavg when the harness started
	Cores                     int
	RAMGiB                    float64
}

func machineInfo(repo string) machine {
	m := machine{Cores: runtime.NumCPU(), CPU: "unknown", Kernel: "unknown", Go: runtime.Version(), BuildKit: "unknown"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m.RAMGiB = kb / (1 << 20)
			}
		}
		f.Close()
	}
	m.LoadStart = loadAvg()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := goCmd(context.Background(), repo, "version"); err == nil {
		m.Go = strings.TrimPrefix(strings.TrimSpace(out), "go version ")
	}
	if out, err := goCmd(context.Background(), repo, "list", "-m", "github.com/moby/buildkit"); err == nil {
		m.BuildKit = strings.TrimSpace(out)
	}
	return m
}

func goCmd(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// goBenchResult is one benchmark's runs in `go test -bench` output.
type goBenchResult struct {
	Name    string
	NsPerOp float64   // the median run's
	Runs    []float64 // ns/op of each run, in order
	Extra   string    // the median run's other figures: B/op, allocs/op…
}

// goBenchRuns is how many times goBench runs each benchmark (-count).
const goBenchRuns = 5

var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+\d+\s+([0-9.]+) ns/op(.*)$`)

// goBench runs the LLB generation benchmarks of llbgen/bench_test.go.
func goBench(ctx context.Context, repo string) ([]goBenchResult, error) {
	out, err := goCmd(ctx, repo, "test", "-run", "^$", "-bench", "Generate500", "-benchmem", "-count", strconv.Itoa(goBenchRuns), "-timeout", "60m", "./llbgen")
	if err != nil {
		return nil, err
	}
	return parseGoBench(out)
}

// parseGoBench groups the output's lines by benchmark, each with its
// median run.
func parseGoBench(out string) ([]goBenchResult, error) {
	var res []goBenchResult
	extras := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		i := slices.IndexFunc(res, func(r goBenchResult) bool { return r.Name == m[1] })
		if i < 0 {
			res, i = append(res, goBenchResult{Name: m[1]}), len(res)
		}
		res[i].Runs = append(res[i].Runs, ns)
		extras[m[1]] = append(extras[m[1]], strings.Join(strings.Fields(m[3]), " "))
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("no benchmark lines in go test output:\n%s", out)
	}
	for i := range res {
		r := &res[i]
		order := make([]int, len(r.Runs))
		for j := range order {
			order[j] = j
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(r.Runs[a], r.Runs[b]) })
		mid := order[(len(order)-1)/2]
		r.NsPerOp, r.Extra = r.Runs[mid], extras[r.Name][mid]
	}
	return res, nil
}

// loadAvg is the 1, 5 and 15 minute load average: other work on the
// machine (it is shared) shows up as noise in the runs.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
