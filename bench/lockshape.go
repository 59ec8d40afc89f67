package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stagebuild/stagebuild/initgen"
)

// The lockfile shape (-pipeline lock): the example as a uv project. Its
// pyproject.toml declares requirements.txt's packages as the dependencies
// and test_requirements.txt's as the dev group; uv.lock and the two
// requirements files init generates from it are made at setup and never
// committed (a uv.lock names the index host).
const (
	lockPipeline   = "python-service-lock.stagebuild.yaml"
	lockDockerfile = "python-service-lock.Dockerfile"
	lockProject    = "python-service"
	lockDevGroup   = "dev"
)

// lockScenarios are the scenarios of the lockfile shape: its default, and
// the only ones it runs besides noisy-context and failing-test. req-edit
// edits requirements.txt, which this shape does not install.
var lockScenarios = []string{"cold", "noop", "src-edit"}

// requirementLines are the requirement specifiers of a requirements file:
// comments and blank lines dropped. Options (-r, --hash, -e …) have no
// place in a pyproject's dependencies, so they are an error.
func requirementLines(name string, data []byte) ([]string, error) {
	var out []string
	for i, l := range strings.Split(string(data), "\n") {
		if c := strings.Index(l, "#"); c >= 0 {
			l = l[:c]
		}
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "-") || strings.HasSuffix(l, "\\") {
			return nil, fmt.Errorf("%s:%d: %q: only plain requirement specifiers can become pyproject dependencies (drop the option)", name, i+1, l)
		}
		out = append(out, l)
	}
	return out, nil
}

// pyprojectFor is the lockfile shape's pyproject.toml: deps as the
// project's dependencies and devDeps as its dev dependency group. The
// project has no build system, so uv locks it as a virtual project.
func pyprojectFor(deps, devDeps []string) string {
	list := func(items []string) string {
		if len(items) == 0 {
			return "[]"
		}
		var b strings.Builder
		b.WriteString("[\n")
		for _, it := range items {
			b.WriteString("    " + strconv.Quote(it) + ",\n")
		}
		return b.String() + "]"
	}
	return fmt.Sprintf("[project]\nname = %q\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\ndependencies = %s\n\n[dependency-groups]\n%s = %s\n",
		lockProject, list(deps), lockDevGroup, list(devDeps))
}

// writePyproject writes dir/pyproject.toml from dir's requirements.txt and
// test_requirements.txt.
func writePyproject(dir string) error {
	var groups [2][]string
	for i, name := range []string{"requirements.txt", "test_requirements.txt"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if groups[i], err = requirementLines(name, data); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte(pyprojectFor(groups[0], groups[1])), 0o644)
}

// setupLock turns the example snapshot into the lockfile shape: a
// pyproject.toml, a uv.lock from a uv installed from PyPI into a temp venv
// (as integration's uvLock does), the requirements files init generates
// from the lock (initgen, as init does) and the lock pipeline as its
// stagebuild.yaml.
func setupLock(ctx context.Context, repo, work, example string) error {
	if err := writePyproject(example); err != nil {
		return err
	}
	if err := uvLock(ctx, filepath.Join(work, "uv-venv"), example); err != nil {
		return err
	}
	p, err := initgen.InspectDeps(os.DirFS(example))
	if err != nil {
		return fmt.Errorf("reading the generated uv.lock as init does: %w", err)
	}
	var names []string
	for _, f := range p.Generated {
		names = append(names, f.Name)
		if bytes.Contains(f.Data, []byte("://")) {
			logf("lock setup: the generated %s names a URL (an index host?); it is not committed", f.Name)
		}
		if err := os.WriteFile(filepath.Join(example, filepath.FromSlash(f.Name)), f.Data, 0o644); err != nil {
			return err
		}
	}
	if want := []string{initgen.LockRequirements, initgen.LockDevRequirements}; p.Lock != "uv.lock" || !slices.Equal(names, want) {
		return fmt.Errorf("init would generate %v from %q for the lock project, want %v from uv.lock (update the lock shape)", names, p.Lock, want)
	}
	logf("lock setup: uv.lock, %s", strings.Join(names, ", "))
	return copyFile(filepath.Join(repo, "bench", lockPipeline), filepath.Join(example, "stagebuild.yaml"))
}

// uvLock runs `uv lock` in dir with a uv that pip installs from PyPI into
// the venv at venv. uv and pip get the system CA store, which trusts a
// TLS-inspecting proxy, and uv downloads no Python.
func uvLock(ctx context.Context, venv, dir string) error {
	env := append(os.Environ(), "UV_PYTHON_DOWNLOADS=never", "UV_NO_PROGRESS=1")
	if ca := "/etc/ssl/certs/ca-certificates.crt"; fileExists(ca) {
		env = append(env, "SSL_CERT_FILE="+ca)
		if os.Getenv("PIP_CERT") == "" {
			env = append(env, "PIP_CERT="+ca)
		}
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return fmt.Errorf("the lock shape needs python3 to install uv: %w", err)
	}
	py := filepath.Join(venv, "bin", "python")
	for _, argv := range [][]string{
		{python, "-m", "venv", venv},
		{py, "-m", "pip", "install", "--quiet", "uv"},
		{filepath.Join(venv, "bin", "uv"), "lock", "--python", py},
	} {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("lock setup: %s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	if !fileExists(filepath.Join(dir, "uv.lock")) {
		return fmt.Errorf("lock setup: uv lock wrote no uv.lock in %s", dir)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
