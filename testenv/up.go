package testenv

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// RegistryAddr is where the local registry listens.
const RegistryAddr = "127.0.0.1:5100"

// Options configures Up.
type Options struct {
	// Log receives one progress line per step; nil discards them.
	Log io.Writer
	// StateDir overrides StateDir() when set.
	StateDir string
}

// Env describes a ready test environment.
type Env struct {
	RegistryAddr string // host:port of the local registry (docker.io mirror)
	PythonImage  string // "python:3.11-slim-bookworm", as a pipeline writes it
	// PythonNoCAImage is the same image without the host's extra CAs
	// ("python:3.11-slim-bookworm-noca"), as pulled from Docker Hub.
	PythonNoCAImage string
	BusyboxImage    string // "busybox:latest"
	StateDir        string
	RepoRoot        string
	// BuildkitdBin and BuildkitdConfig are the daemon binary and the config
	// that makes docker.io resolve through RegistryAddr.
	BuildkitdBin    string
	BuildkitdConfig string
	// DockerHost is the DOCKER_HOST of the test env's own dockerd:
	// "unix://<state>/docker/docker.sock" (shorter if that path is too long
	// for a unix socket).
	DockerHost string
	// FrontendImage is the stagebuild frontend in the local registry
	// (127.0.0.1:5100/stagebuild/frontend:<hash of its sources>).
	FrontendImage string
	// BuildxPlugin is the docker-buildx CLI plugin Up installed
	// (~/.docker/cli-plugins/docker-buildx), built from tools/buildx.
	BuildxPlugin string
}

// Up makes the environment ready and returns it. It is idempotent, safe to
// call from parallel processes (they serialize on a lock file) and fast when
// everything is already in place.
func Up(ctx context.Context, opts Options) (*Env, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	state := opts.StateDir
	if state == "" {
		if state, err = StateDir(); err != nil {
			return nil, err
		}
	}
	env := &Env{
		RegistryAddr:    RegistryAddr,
		PythonImage:     "python:3.11-slim-bookworm",
		PythonNoCAImage: "python:" + PythonNoCATag,
		BusyboxImage:    "busybox:latest",
		StateDir:        state,
		RepoRoot:        root,
		BuildkitdBin:    filepath.Join(root, "bin", "buildkitd"),
		BuildkitdConfig: filepath.Join(state, "buildkitd.toml"),
		DockerHost:      DockerHost(state),
	}
	if err := os.MkdirAll(filepath.Join(state, "testenv"), 0o755); err != nil {
		return nil, fmt.Errorf("creating state dir: %w", err)
	}
	unlock, err := lockFile(filepath.Join(state, "testenv", "up.lock"), log)
	if err != nil {
		return nil, err
	}
	defer unlock()

	p := &progress{w: log}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"host packages", func() error { return ensureHostPackages(ctx, p) }},
		{"buildkitd binary", func() error { return ensureBuildkitd(ctx, p, root) }},
		{"registry", func() error { return ensureRegistry(ctx, p, root, state) }},
		{"python image", func() error { return ensureSpec(ctx, p, state, pythonImage) }},
		{"busybox image", func() error { return ensureSpec(ctx, p, state, busyboxImage) }},
		{"qemu (arm64)", func() error { return ensureQEMU(ctx, p) }},
		{"multiarch busybox", func() error { return ensureMultiarchBusybox(ctx, p, state) }},
		{"python noca image", func() error { return ensureSpec(ctx, p, state, pythonNoCAImage) }},
		{"buildkitd config", func() error { return installBuildkitdConfig(p, env.BuildkitdConfig) }},
		{"docker engine", func() error { return ensureDocker(ctx, p, state) }},
		{"frontend image", func() error {
			spec, ref, err := frontendImage(root)
			if err != nil {
				return err
			}
			env.FrontendImage = ref
			return ensureImage(ctx, p, state, spec)
		}},
		{"buildx plugin", func() (err error) {
			env.BuildxPlugin, err = ensureBuildx(ctx, p, root, state)
			return err
		}},
	}
	for _, s := range steps {
		start := time.Now()
		if err := s.fn(); err != nil {
			return nil, err
		}
		p.logf("%-17s ok (%s)", s.name, time.Since(start).Round(time.Millisecond))
	}
	return env, nil
}

func ensureSpec(ctx context.Context, p *progress, state string, spec func() (imageSpec, error)) error {
	s, err := spec()
	if err != nil {
		return err
	}
	return ensureImage(ctx, p, state, s)
}

// progress writes "testenv: ..." lines.
type progress struct{ w io.Writer }

func (p *progress) logf(format string, args ...any) {
	fmt.Fprintf(p.w, "testenv: "+format+"\n", args...)
}

// lockFile takes an exclusive flock on path, saying so when it has to wait.
func lockFile(path string, log io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fmt.Fprintf(log, "testenv: waiting for another testenv.Up (lock %s)\n", path)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
	}
	return func() { f.Close() }, nil
}
