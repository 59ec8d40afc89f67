package stagebuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/daemon"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/state"
)

// Client is a connection to BuildKit: *client.Client, or a fake in tests.
type Client interface {
	build.Client
	Close() error
}

// Dial returns a Connect function for the daemon o names (--addr, TLS),
// else $BUILDKIT_HOST, else the local daemon, started on demand; log
// receives its start-up messages.
func Dial(o daemon.Options, log io.Writer) func(context.Context) (Client, error) {
	return func(ctx context.Context) (Client, error) {
		c, _, err := daemon.ConnectWith(ctx, o, log)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// BuildRequest is one `stagebuild build`: what to build, how to export
// it, and what the build takes from the host.
type BuildRequest struct {
	Project
	// Targets are the stages to build and export; none means the
	// pipeline's default.
	Targets []string
	// Outputs are -o, -t and --push (buildflags.ParseOutput, TagOutput),
	// assigned to the targets by Build.
	Outputs []buildflags.Output
	// Load feeds each target's image to `docker load` (--load).
	Load bool
	// Annotations go to every image output (--annotation).
	Annotations map[string]string
	// MetadataFile, when set, receives the build result as JSON, on
	// failure too (--metadata-file).
	MetadataFile string
	// Host are --ca-cert and --provenance; the proxy settings and
	// SOURCE_DATE_EPOCH come from BuildArgs, else Getenv.
	Host buildflags.HostFlags
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string

	// Progress is the display mode (build.ProgressModes); ProgressOut
	// receives it, Stdout receives outputs with dest=-.
	Progress    string
	ProgressOut io.Writer
	Stdout      io.Writer
	// ReportsDir receives each gate's reports in ReportsDir/<gate>/.
	ReportsDir string
	RerunTests bool
	// CacheFrom and CacheTo are remote cache imports and exports.
	CacheFrom, CacheTo []client.CacheOptionsEntry
	Secrets            []buildflags.Secret
	SSH                []sshprovider.AgentConfig
	Pull               bool
	// NoCache runs every step again; NoCacheFilter only these stages'.
	NoCache       bool
	NoCacheFilter []string
	// Labels are added to every exported image's config.
	Labels map[string]string
	// Platforms are the platforms to build (--platform); none means the
	// client's default platform. With several, each is built and gated
	// on its own and image outputs get an index.
	Platforms []ocispecs.Platform
	// Debug, when set, opens a container on the first failed gate.
	Debug *build.Debug

	// Connect reaches BuildKit once the build is planned and checked; nil
	// means Dial(daemon.Options{}, Log).
	Connect func(context.Context) (Client, error)
}

// BuildResult is what Build did, also when it failed.
type BuildResult struct {
	// Result is the build's (nil when it failed before the solve).
	Result *build.Result
	// Outputs are the outputs each target was given, --load's included.
	Outputs map[string][]buildflags.Output
}

// Build loads the pipeline, resolves and plans the requested targets,
// checks the flags against the plan, connects, runs the gated build,
// writes the metadata file and, on success, records the build's inputs
// for Plan. Errors in what the user asked for are *buildflags.UsageError,
// *pipeline.Error or *targets.UnknownTargetError; a failed gate is a
// *build.GateError. The returned BuildResult is never nil.
func Build(ctx context.Context, req BuildRequest) (*BuildResult, error) {
	out := &BuildResult{}
	p, opts, err := req.options(ctx, out)
	if err != nil {
		return out, err
	}
	connect := req.Connect
	if connect == nil {
		connect = Dial(daemon.Options{}, req.log())
	}
	c, err := connect(ctx)
	if err != nil {
		return out, err
	}
	defer c.Close()
	out.Result, err = build.Run(ctx, c, opts)
	if req.MetadataFile != "" {
		if merr := build.WriteMetadata(req.MetadataFile, out.Result); merr != nil && err == nil {
			err = fmt.Errorf("--metadata-file: %w", merr)
		}
	}
	if err == nil {
		if rerr := state.WriteRecord(req.ContextDir, req.File, p.ArgValues, opts.Plan); rerr != nil {
			fmt.Fprintf(req.log(), "stagebuild: warning: recording the build's inputs for `stagebuild plan`: %s\n", oneLine(rerr.Error()))
		}
	}
	return out, err
}

// options plans the build and checks the request against the plan, in the
// order the CLI always has: what is wrong with the pipeline or the flags
// is found before any daemon is reached.
func (req BuildRequest) options(ctx context.Context, out *BuildResult) (*pipeline.Pipeline, build.Options, error) {
	var opts build.Options
	p, res, err := req.load(req.Targets)
	if err != nil {
		return nil, opts, err
	}
	for _, name := range req.NoCacheFilter {
		if p.Stage(name) == nil {
			return nil, opts, buildflags.Usage(fmt.Errorf("--no-cache-filter %q: no such stage%s", name, suggestion(name, p.StageNames())))
		}
	}
	var names []string
	for _, t := range res.Targets {
		names = append(names, t.Stage)
	}
	if out.Outputs, err = buildflags.AssignOutputs(req.Outputs, names); err != nil {
		return nil, opts, buildflags.Usage(err)
	}
	if req.Load && len(req.Platforms) > 1 {
		return nil, opts, buildflags.Usage(fmt.Errorf("--load: docker loads one platform's image and --platform names %d; "+
			"load one platform (--platform %s --load), or write the index with -o type=oci,dest=FILE.tar",
			len(req.Platforms), build.PlatformID(req.Platforms[0])))
	}
	if req.Load {
		if err := build.CheckDocker(ctx); err != nil {
			return nil, opts, err
		}
		if err := buildflags.WithLoad(out.Outputs, names, req.ContextDir); err != nil {
			return nil, opts, err
		}
	}
	buildflags.Annotate(out.Outputs, req.Annotations)
	pl, err := req.plan(p, res)
	if err != nil {
		return nil, opts, err
	}
	// A platform that a stage has no variant of a fetched file for is a
	// usage error, found before any daemon is reached.
	plats := req.Platforms
	if len(plats) == 0 {
		plats = []ocispecs.Platform{platforms.DefaultSpec()}
	}
	for _, pf := range plats {
		if err := plan.CheckPlatform(pl, build.PlatformID(pf)); err != nil {
			return nil, opts, buildflags.Usage(err)
		}
	}
	// A --secret or --ssh the pipeline needs but was not given is a usage
	// error, found before any daemon is reached.
	if err := build.CheckMounts(pl, req.Secrets, req.SSH); err != nil {
		return nil, opts, buildflags.Usage(err)
	}
	if err := build.CheckReportsDir(req.ReportsDir, req.ContextDir, build.ReportGates(pl)); err != nil {
		return nil, opts, buildflags.Usage(err)
	}
	getenv := req.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	host, err := buildflags.Host(req.Host, p, req.BuildArgs, getenv)
	if err != nil {
		return nil, opts, err
	}
	return p, build.Options{
		Plan: pl, ContextDir: req.ContextDir, Outputs: out.Outputs,
		Progress: req.Progress, ProgressOut: req.ProgressOut, Stdout: req.Stdout,
		Platform: platforms.Normalize(platforms.DefaultSpec()), Platforms: req.Platforms,
		ReportsDir: req.ReportsDir, RerunTests: req.RerunTests, CacheFrom: req.CacheFrom, CacheTo: req.CacheTo,
		Secrets: req.Secrets, SSH: req.SSH, Pull: req.Pull, NoCache: req.NoCache,
		NoCacheStages: req.NoCacheFilter, Labels: req.Labels, Host: build.HostConfig(host),
		Debug: req.Debug,
	}, nil
}

func suggestion(name string, names []string) string {
	if sug := pipeline.Suggest(name, names); sug != "" {
		return fmt.Sprintf(" (did you mean %q?)", sug)
	}
	return " (stages: " + strings.Join(names, ", ") + ")"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
