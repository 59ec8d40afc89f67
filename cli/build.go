package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stagebuild/stagebuild"
	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/daemon"
	"github.com/stagebuild/stagebuild/pipeline"
)

// BuildOptions are the parsed flags of `stagebuild build`.
type BuildOptions struct {
	File       string
	ContextDir string
	Targets    []string
	Outputs    []buildflags.Output
	BuildArgs  map[string]string
	Progress   string
	Addr       string
	// ReportsDir receives each gate's reports in ReportsDir/<gate>/.
	ReportsDir string
	RerunTests bool
	// Annotations is "" or "github": print CI annotations for failing tests.
	Annotations string
	// CacheFrom and CacheTo are remote cache imports and exports.
	CacheFrom, CacheTo []client.CacheOptionsEntry
	Buildx             BuildxOptions
	Host               buildflags.HostFlags // --ca-cert, --provenance (hostflags.go)
	// Debug is set by stagebuild debug (debug.go).
	Debug *build.Debug
}

type buildFlags struct {
	file, progress, addr string
	reports, annotations string
	rerunTests           bool
	targets, outputs     []string
	cacheFrom, cacheTo   []string
	buildx               buildxFlags
	host                 hostFlags
	tags, buildArgs      []string
	push                 bool
}

func newBuildCmd(s Streams, runF func(*BuildOptions) error) *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build [flags] [DIR]",
		Short: "Build targets; gates must pass before anything is exported",
		Long: `Build the requested targets of DIR/stagebuild.yaml (DIR defaults to the current directory;
with -f FILE and no DIR, FILE's directory). Every gate listed in a target's gated_by runs in the same
solve; if one fails, nothing for that target is exported, pushed or written, and stagebuild exits 3.

Outputs use buildx syntax. With several --target flags, prefix an output with its target:
  -o service=type=oci,dest=service.tar -o localdev=type=docker,dest=dev.tar,name=app:dev
The same goes for tags: -t service=registry/app:1.

Gates: every test stage in gated_by runs in parallel with the image build; a test stage with
reports: DIR has that directory copied to --reports/<gate>/ whether it passes or fails, and its
JUnit XML is summarised. A verdict is cached like any step: the same inputs give the same result;
--rerun-tests runs the tests again. An advisory gate (allow_failure: true) is reported but never
blocks. Image checks (checks:) and the purity check gate the stage they are declared on.`,
		Example: `  stagebuild build --target service -o type=oci,dest=service.tar
  stagebuild build --target localdev -o type=docker,dest=localdev.tar,name=app:dev
  stagebuild build -t registry.example.com/app:1 --push
  BUILDKIT_HOST=tcp://buildkitd:1234 stagebuild build --progress plain`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usage(fmt.Errorf("build takes at most one DIR argument, got %d (%s)", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts, err := f.options(args)
			if err != nil {
				return usage(err)
			}
			if runF != nil {
				return runF(opts)
			}
			return runBuild(c, s, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "pipeline file (default DIR/stagebuild.yaml)")
	fl.StringArrayVar(&f.targets, "target", nil, "stage to build and export; repeatable (default: the pipeline's default, else service)")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "output: type=oci|docker|image|local|tar|registry,dest=...,name=...,push=true; [TARGET=]SPEC")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "image name to export as ([TARGET=]REF); repeatable")
	fl.BoolVar(&f.push, "push", false, "push the tagged images (shorthand for type=image,push=true)")
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "set a pipeline arg: KEY=VALUE; repeatable")
	fl.StringVar(&f.progress, "progress", "auto", "progress output: auto, plain, tty, rawjson or quiet")
	fl.StringVar(&f.reports, "reports", build.DefaultReportsDir, "directory that receives each gate's reports, as DIR/<gate>/, pass or fail")
	fl.BoolVar(&f.rerunTests, "rerun-tests", false, "run test commands again instead of reusing a cached verdict")
	fl.StringVar(&f.annotations, "annotations", "", `print CI annotations for failing tests: "github"`)
	fl.StringArrayVar(&f.cacheFrom, "cache-from", nil, "import build cache: type=registry,ref=REF | type=local,src=DIR; repeatable")
	fl.StringArrayVar(&f.cacheTo, "cache-to", nil, "export build cache: type=registry,ref=REF[,mode=max] | type=local,dest=DIR[,mode=max] | type=inline; repeatable")
	fl.StringVar(&f.addr, "addr", "", "BuildKit address (default $BUILDKIT_HOST, else a local daemon started on demand)")
	f.buildx.register(fl)
	f.host.register(fl)
	registerTargetCompletion(cmd)
	return cmd
}

func (f *buildFlags) options(args []string) (*BuildOptions, error) {
	o := &BuildOptions{Targets: f.targets, Progress: f.progress, Addr: f.addr,
		ReportsDir: f.reports, RerunTests: f.rerunTests, Annotations: f.annotations}
	if f.annotations != "" && f.annotations != "github" {
		return nil, fmt.Errorf("--annotations %q: the only supported format is github", f.annotations)
	}
	var err error
	if o.Buildx, err = f.buildx.options(); err != nil {
		return nil, err
	}
	if o.Host, err = f.host.options(); err != nil {
		return nil, err
	}
	if f.reports == "" {
		return nil, fmt.Errorf("--reports: give a directory (default %s)", build.DefaultReportsDir)
	}
	if !slices.Contains(build.ProgressModes(), f.progress) {
		return nil, fmt.Errorf("--progress %q: must be one of %s", f.progress, strings.Join(build.ProgressModes(), ", "))
	}
	switch {
	case len(args) == 1:
		o.ContextDir = args[0]
		o.File = f.file
		if o.File == "" {
			o.File = filepath.Join(args[0], pipeline.DefaultFile)
		}
	case f.file != "":
		o.File, o.ContextDir = f.file, filepath.Dir(f.file)
	default:
		o.File, o.ContextDir = pipeline.DefaultFile, "."
	}
	if o.BuildArgs, err = buildflags.ParseBuildArgs(f.buildArgs); err != nil {
		return nil, err
	}
	for _, spec := range f.cacheFrom {
		e, err := buildflags.ParseCacheOption(spec, false)
		if err != nil {
			return nil, err
		}
		o.CacheFrom = append(o.CacheFrom, e)
	}
	for _, spec := range f.cacheTo {
		e, err := buildflags.ParseCacheOption(spec, true)
		if err != nil {
			return nil, err
		}
		o.CacheTo = append(o.CacheTo, e)
	}
	for _, spec := range f.outputs {
		out, err := buildflags.ParseOutput(spec)
		if err != nil {
			return nil, err
		}
		o.Outputs = append(o.Outputs, out)
	}
	for _, t := range f.tags {
		out, err := buildflags.TagOutput(t, f.push)
		if err != nil {
			return nil, err
		}
		o.Outputs = append(o.Outputs, out)
	}
	if f.push && len(f.tags) == 0 {
		return nil, fmt.Errorf("--push needs an image name: add -t REF")
	}
	return o, nil
}

func runBuild(c *cobra.Command, s Streams, o *BuildOptions) error {
	if o.Progress == "tty" {
		if f, ok := s.Err.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
			return usage(fmt.Errorf("--progress tty: stderr is not a terminal (use --progress auto or plain)"))
		}
	}
	res, err := stagebuild.Build(c.Context(), o.request(s))
	printSummary(s, res.Result, res.Outputs, err)
	if o.Annotations == "github" {
		printAnnotations(s, res.Result, o.ContextDir, res.Outputs)
	}
	return err
}

// request is the library call the options stand for.
func (o *BuildOptions) request(s Streams) stagebuild.BuildRequest {
	return stagebuild.BuildRequest{
		Project: stagebuild.Project{File: o.File, ContextDir: o.ContextDir, BuildArgs: o.BuildArgs, Log: s.Err},
		Targets: o.Targets, Outputs: o.Outputs, Load: o.Buildx.Load, Annotations: o.Buildx.Annotations,
		MetadataFile: o.Buildx.MetadataFile, Host: o.Host,
		Progress: o.Progress, ProgressOut: s.Err, Stdout: s.Out,
		ReportsDir: o.ReportsDir, RerunTests: o.RerunTests, CacheFrom: o.CacheFrom, CacheTo: o.CacheTo,
		Secrets: o.Buildx.Secrets, SSH: o.Buildx.SSH, Pull: o.Buildx.Pull, NoCache: o.Buildx.NoCache,
		NoCacheFilter: o.Buildx.NoCacheFilter, Labels: o.Buildx.Labels, Debug: o.Debug, Platforms: o.Buildx.Platforms,
		Connect: stagebuild.Dial(daemon.Options{Addr: o.Addr, TLS: o.Buildx.TLS}, s.Err),
	}
}
