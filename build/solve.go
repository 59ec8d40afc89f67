package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/identity"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/services"
)

// DefaultReportsDir is where gate reports go when Options.ReportsDir is
// empty: one subdirectory per gate.
const DefaultReportsDir = "stagebuild-reports"

// Options configure one build.
type Options struct {
	Plan       *plan.Plan
	ContextDir string
	// Outputs per target stage; a target with none is built but not exported.
	Outputs     map[string][]buildflags.Output
	Progress    string
	ProgressOut io.Writer
	// Stdout receives outputs with dest=-.
	Stdout io.Writer
	// Platform is the platform built; Platforms, when it holds more than
	// one, the platforms built instead, each with its own gates and
	// checks, into one multi-platform result (an index).
	Platform  ocispecs.Platform
	Platforms []ocispecs.Platform
	// ReportsDir receives each gate's reports in ReportsDir/<gate>/.
	ReportsDir string
	// RerunTests runs every test command again instead of reusing a cached
	// verdict.
	RerunTests bool
	// CacheFrom and CacheTo are remote cache imports and exports.
	CacheFrom, CacheTo []client.CacheOptionsEntry
	// Secrets and SSH are --secret and --ssh.
	Secrets []buildflags.Secret
	SSH     []sshprovider.AgentConfig
	// InternalSecrets are secrets stagebuild itself mounts, by id.
	InternalSecrets map[string][]byte
	// Pull resolves every base image from its registry.
	Pull bool
	// NoCache runs every step again; NoCacheStages only those stages'.
	NoCache       bool
	NoCacheStages []string
	// Labels are added to every exported image's config.
	Labels map[string]string
	// Debug, when set, opens a container on the first failed gate (debug.go).
	Debug *Debug
	// Host holds the trusted CAs, proxy, SOURCE_DATE_EPOCH and provenance
	// request (host.go).
	Host HostConfig
}

// TargetResult says what one target produced.
type TargetResult struct {
	Stage    string
	Gates    []string
	Exported []string
	// Digest is the image manifest digest, when an image exporter ran.
	Digest string
	// Checks is the outcome of the stage's image checks, if it has any.
	Checks *CheckReport
	// Response is BuildKit's exporter response (digests, image names).
	Response map[string]string
}

// Result is what a build did, also when it failed.
type Result struct {
	Targets []TargetResult
	// Gates holds every gate that ran, by name.
	Gates []*GateResult
}

// Client is what a build needs of BuildKit's client (*client.Client): a
// gateway build. Unit tests pass a fake that runs the build function
// against a fake gateway client.
type Client interface {
	Build(ctx context.Context, opt client.SolveOpt, product string, buildFunc gateway.BuildFunc,
		statusChan chan *client.SolveStatus) (*client.SolveResponse, error)
}

// runner is one invocation: it shares gate verdicts between targets, so a
// gate guarding two targets runs and reports once.
type runner struct {
	opts    Options
	prog    *progress
	localID string
	logs    *logRecorder
	ctxKey  string

	mu    sync.Mutex
	gates map[string]*gateCall
	// svc runs the services beside the gates.
	svc *services.Manager
	// frontend is set when the build runs inside a BuildKit frontend
	// (Frontend): reports stay in the daemon, and the context is the
	// client's local named llbgen.ContextName in session sessionID.
	frontend  bool
	sessionID string
}

type gateCall struct {
	done chan struct{}
	res  *GateResult
	err  error
}

// Run builds every planned target. It returns a *GateError when a gate or
// an image check failed, in which case nothing guarded by it was exported.
func Run(ctx context.Context, c Client, opts Options) (*Result, error) {
	fsys, err := fsutil.NewFS(opts.ContextDir)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", opts.ContextDir, err)
	}
	if err := CheckMounts(opts.Plan, opts.Secrets, opts.SSH); err != nil {
		return nil, err
	}
	opts = opts.Host.apply(opts).onePlatform()
	if opts.ReportsDir == "" {
		opts.ReportsDir = DefaultReportsDir
	}
	if err := CheckReportsDir(opts.ReportsDir, opts.ContextDir, ReportGates(opts.Plan)); err != nil {
		return nil, err
	}
	prog, err := startProgress(ctx, opts.ProgressOut, opts.Progress)
	if err != nil {
		return nil, fmt.Errorf("--progress: %w", err)
	}
	abs, _ := filepath.Abs(opts.ContextDir)
	// One context identity per invocation, shared by every target's session.
	r := &runner{opts: opts, prog: prog, localID: identity.NewID(), logs: prog.logs, ctxKey: abs, gates: map[string]*gateCall{}}
	r.svc = services.New(opts.Plan, services.Options{Progress: prog.channel})
	targets := opts.Plan.Targets
	results := make([]TargetResult, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		ch := prog.channel()
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = r.runTarget(ctx, c, t, fsys, ch)
		}()
	}
	wg.Wait()
	if perr := prog.wait(); perr != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("progress display: %w", perr)
	}
	out := &Result{Targets: results, Gates: r.gateResults()}
	err = daemonLost(combine(errs)) // daemonlost.go
	r.explainInfra(err)
	for _, g := range out.Gates {
		if g.Infra != nil {
			r.explainInfra(g.Infra)
		}
	}
	err = r.withTLSHint(err)
	err = fetchMismatch(opts.Plan, err) // fetch.go
	var ge *GateError
	if errors.As(err, &ge) {
		for i, e := range errs {
			if errors.As(e, new(*GateError)) {
				ge.Blocked = append(ge.Blocked, targets[i].Stage)
			}
		}
	}
	return out, err
}

// combine prefers a build error over gate failures (a broken build is the
// thing to fix first) and merges the failures of several targets.
func combine(errs []error) error {
	gate := &GateError{}
	seen := map[string]bool{}
	for _, err := range errs {
		var ge *GateError
		switch {
		case err == nil:
		case errors.As(err, &ge):
			for _, g := range ge.Gates {
				if !seen[g.Name()] {
					seen[g.Name()] = true
					gate.Gates = append(gate.Gates, g)
				}
			}
			gate.Checks = append(gate.Checks, ge.Checks...)
		default:
			return err
		}
	}
	if len(gate.Gates) > 0 || len(gate.Checks) > 0 {
		return gate
	}
	return nil
}
