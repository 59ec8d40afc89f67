package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// scenario is one benchmarked situation. Each runs on its own fresh copy of
// the example (the workspace); prepare restores the files it edits and
// applies this invocation's change, so every run measures the same change.
type scenario struct {
	name, what string
	// cold gives every invocation a fresh daemon root.
	cold bool
	// warm is how many untimed builds per tool precede the timed runs;
	// prepare is called for them with run = -1, -2, ...
	warm int
	// setup runs once on the fresh workspace.
	setup func(ws string) error
	// prepare runs before every invocation; nil leaves the workspace as is.
	prepare func(ws, tool string, run int) error
	// fails says the build must exit non-zero (the failing test).
	fails bool
}

// uniq makes edits unique per invocation, so no run can hit a cache entry
// left by an earlier one.
func uniq(tool string, run int) string {
	return fmt.Sprintf("%s run %d at %d", tool, run, time.Now().UnixNano())
}

// editFile sets path (relative to ws) to its original content plus extra.
// The original is read from the example, so a restore is exact.
func editFile(example, ws, rel, extra string) error {
	orig, err := os.ReadFile(filepath.Join(example, rel))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(ws, rel), append(orig, extra...), 0o644)
}

func scenarios(example string) []scenario {
	return []scenario{
		{name: "cold", what: "empty daemon cache (fresh buildkitd root per invocation) and no earlier output file; base image in the local registry mirror", cold: true},
		{name: "noop", what: "rebuild with nothing changed, after a warm-up build", warm: 1},
		{
			name: "src-edit", what: "append a unique comment line to app/__init__.py before each run", warm: 1,
			prepare: func(ws, tool string, run int) error {
				if run < 0 {
					return editFile(example, ws, "app/__init__.py", "")
				}
				return editFile(example, ws, "app/__init__.py", "# bench edit: "+uniq(tool, run)+"\n")
			},
		},
		{
			name: "req-edit", what: "requirements.txt gains six==1.16.0 / six==1.17.0 (alternating) plus a unique comment", warm: 2,
			prepare: func(ws, tool string, run int) error {
				six := []string{"1.16.0", "1.17.0"}[(run+2)%2]
				return editFile(example, ws, "requirements.txt", "six=="+six+"\n# bench edit: "+uniq(tool, run)+"\n")
			},
		},
		{
			name: "noisy-context", warm: 1, setup: addNoise,
			what: fmt.Sprintf("no-op rebuild of a context with %d small files and a %d MiB sparse file under .venv/ and .git/, "+
				"%d small files in an unrelated data/ dir and %d .pyc files in app/ and tests/ __pycache__", noiseVenv+noiseGit,
				2*noiseSparseMiB, noiseData, 2*noisePyc),
		},
		{
			name: "failing-test", what: "append a unique, failing test to tests/test_api.py before each run", warm: 1, fails: true,
			prepare: func(ws, tool string, run int) error {
				if run < 0 {
					return editFile(example, ws, "tests/test_api.py", "")
				}
				name := strings.NewReplacer(" ", "_").Replace(fmt.Sprintf("%s_%d_%d", strings.ToLower(tool), run, time.Now().UnixNano()))
				return editFile(example, ws, "tests/test_api.py",
					"\n\ndef test_bench_fails_"+name+"():\n    assert False, \"deliberately failing (stagebuild bench)\"\n")
			},
		},
	}
}

// The noisy context's size.
const (
	noiseVenv      = 30000
	noiseGit       = 20000
	noiseData      = 10000
	noisePyc       = 1000 // in each of app/__pycache__ and tests/__pycache__
	noiseSparseMiB = 512  // one sparse file each in .venv/ and .git/
)

func noiseFiles() int { return noiseVenv + noiseGit + noiseData + 2*noisePyc }

// addNoise fills ws with what a real checkout has beside the project.
func addNoise(ws string) error {
	line := []byte(strings.Repeat("# noise\n", 16))
	groups := []struct {
		dir, pattern string
		n, perDir    int
	}{
		{".venv/lib/python3.11/site-packages", "pkg%03d/mod%04d.py", noiseVenv, 100},
		{".git/objects", "%02x/%038x", noiseGit, 80},
		{"data", "batch%03d/row%05d.csv", noiseData, 500},
		{"app/__pycache__", "%d_bench%04d.cpython-311.pyc", noisePyc, noisePyc},
		{"tests/__pycache__", "%d_bench%04d.cpython-311.pyc", noisePyc, noisePyc},
	}
	for _, g := range groups {
		for i := 0; i < g.n; i++ {
			p := filepath.Join(ws, g.dir, fmt.Sprintf(g.pattern, i/g.perDir, i))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, line, 0o644); err != nil {
				return err
			}
		}
	}
	for _, p := range []string{".venv/lib/libbench.so", ".git/objects/pack/pack-bench.pack"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(ws, p)), 0o755); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(ws, p))
		if err != nil {
			return err
		}
		err = f.Truncate(noiseSparseMiB << 20) // sparse: no blocks written
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
