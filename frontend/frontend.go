package frontend

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/dockerui"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

// DefaultFilename is the pipeline file read when the client names none
// (buildctl without --opt filename).
const DefaultFilename = "stagebuild.yaml"

// Build is the frontend's gateway build function.
func Build(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
	gw = defaultFilename{gw}
	bc, err := dockerui.NewClient(gw)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, "YAML")
	if err != nil {
		return nil, err
	}
	warn := func(msg string) { src.Warn(ctx, msg, gateway.WarnOpts{}) }
	p, err := pipeline.Parse(src.Filename, src.Data, pipelineArgs(bc.BuildArgs))
	if err != nil {
		return nil, err
	}
	for _, w := range p.Warnings {
		warn(w)
	}
	if res, ok, err := bc.HandleSubrequest(ctx, requestHandler(p, bc.Target)); ok || err != nil {
		return res, err
	}
	var requested []string
	if bc.Target != "" {
		requested = []string{bc.Target}
	}
	res, err := targets.Resolve(p, requested)
	if err != nil {
		return nil, err
	}
	sessionID, err := localContext(ctx, gw)
	if err != nil {
		return nil, err
	}
	fsys, err := newCtxFS(ctx, localSolver(gw, sessionID), plannerPatterns(p))
	if err != nil {
		return nil, fmt.Errorf("reading the build context: %w", err)
	}
	pl, err := plan.Make(p, res, fsys)
	if err != nil {
		return nil, err
	}
	for _, w := range pl.Warnings {
		warn(w)
	}
	noCA := *p
	noCA.CACerts = nil
	host, err := buildflags.Host(buildflags.HostFlags{}, &noCA, bc.BuildArgs, func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	if host.CABundle, err = contextCAs(p, fsys, warn); err != nil {
		return nil, err
	}
	opts := build.Options{Plan: pl, Host: build.HostConfig(host), Labels: bc.Labels,
		Pull: bc.ImageResolveMode == llb.ResolveModeForcePull}
	if v, ok := gw.BuildOpts().Opts["no-cache"]; ok {
		if v == "" {
			opts.NoCache = true
		} else {
			opts.NoCacheStages = strings.Split(v, ",")
		}
	}
	rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (gateway.Reference, *dockerspec.DockerOCIImage, *dockerspec.DockerOCIImage, error) {
		o := opts
		o.Platform = platforms.Normalize(platforms.DefaultSpec())
		if platform != nil {
			o.Platform = *platform
		}
		r, err := build.Frontend(ctx, gw, o, sessionID)
		if err != nil && bc.MultiPlatformRequested {
			return nil, nil, nil, fmt.Errorf("platform %s: %w", build.PlatformID(o.Platform), err)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		ref, err := r.SingleRef()
		if err != nil {
			return nil, nil, nil, err
		}
		var img dockerspec.DockerOCIImage
		if err := json.Unmarshal(r.Metadata[exptypes.ExporterImageConfigKey], &img); err != nil {
			return nil, nil, nil, fmt.Errorf("image config: %w", err)
		}
		return ref, &img, nil, nil
	})
	if err != nil {
		return nil, err
	}
	return rb.Finalize()
}

// builtinArgs are build args BuildKit and stagebuild read themselves; they
// are not the pipeline's args: passing them on would only warn that the
// pipeline does not declare them.
func builtinArg(name string) bool {
	switch strings.ToUpper(name) {
	case "SOURCE_DATE_EPOCH", "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY":
		return true
	}
	return strings.HasPrefix(name, "BUILDKIT_")
}

func pipelineArgs(all map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range all {
		if !builtinArg(k) {
			out[k] = v
		}
	}
	return out
}

// localContext returns the session that holds the client's local
// "context" directory, and refuses a git, HTTP or input context: stagebuild
// plans over a directory it reads file by file.
func localContext(ctx context.Context, gw gateway.Client) (string, error) {
	bo := gw.BuildOpts()
	if v := bo.Opts["context"]; v != "" {
		return "", fmt.Errorf("build context %q: the stagebuild frontend builds a local directory only (build from a checkout: buildx build DIR, or buildctl --local context=DIR)", v)
	}
	if inputs, err := gw.Inputs(ctx); err == nil {
		if _, ok := inputs["context"]; ok {
			return "", fmt.Errorf("the build context is another build's result; the stagebuild frontend builds a local directory only (--local context=DIR)")
		}
	}
	if id := bo.Opts["local-sessionid:context"]; id != "" {
		return id, nil
	}
	return bo.SessionID, nil
}

// defaultFilename makes the pipeline file stagebuild.yaml when the client
// names none, instead of dockerui's Dockerfile.
type defaultFilename struct{ gateway.Client }

func (d defaultFilename) BuildOpts() gateway.BuildOpts {
	bo := d.Client.BuildOpts()
	if _, ok := bo.Opts["filename"]; !ok {
		opts := make(map[string]string, len(bo.Opts)+1)
		for k, v := range bo.Opts {
			opts[k] = v
		}
		opts["filename"] = DefaultFilename
		bo.Opts = opts
	}
	return bo
}

// contextCAs reads the bundle of the pipeline's ca_certs from the build
// context: a relative path is a file of the context (its root being the
// pipeline file's directory, as `-f stagebuild.yaml .` gives). The host's
// bundle and an absolute path are the client's files, which a frontend
// cannot read: they are left out with a warning.
func contextCAs(p *pipeline.Pipeline, fsys fs.FS, warn func(string)) ([]byte, error) {
	var bundles [][]byte
	for _, v := range p.CACerts {
		name := v.Value
		if name == pipeline.HostCA || path.IsAbs(name) {
			warn(fmt.Sprintf("ca_certs: %s is the client's file, which the stagebuild frontend cannot read, so the steps do not trust it; "+
				"put the PEM file in the build context and name its relative path, or build with `stagebuild build`", name))
			continue
		}
		clean := path.Clean(name)
		data, err := fs.ReadFile(fsys, clean)
		if err != nil {
			return nil, &pipeline.Error{Pos: v.Pos, Msg: fmt.Sprintf("ca_certs: %s: not in the build context (give the path of a PEM file in it, relative to its root)", name)}
		}
		b, err := buildflags.ParseCACerts(clean, data)
		if err != nil {
			return nil, &pipeline.Error{Pos: v.Pos, Msg: "ca_certs: " + err.Error()}
		}
		bundles = append(bundles, b)
	}
	return buildflags.JoinCABundles(bundles...), nil
}

// caPaths are the ca_certs files the frontend reads from the context.
func caPaths(p *pipeline.Pipeline) []string {
	var out []string
	for _, v := range p.CACerts {
		if v.Value != pipeline.HostCA && !path.IsAbs(v.Value) && fs.ValidPath(path.Clean(v.Value)) {
			out = append(out, path.Clean(v.Value))
		}
	}
	return out
}
