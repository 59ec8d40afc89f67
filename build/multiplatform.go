package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// PlatformID is a platform as a multi-platform result keys it
// ("linux/arm64"), as BuildKit's Dockerfile frontend does.
func PlatformID(p ocispecs.Platform) string { return platforms.FormatAll(platforms.Normalize(p)) }

// platformList is every platform the build is for.
func (r *runner) platformList() []ocispecs.Platform {
	if len(r.opts.Platforms) > 1 {
		return r.opts.Platforms
	}
	return []ocispecs.Platform{r.opts.Platform}
}

// gatedMulti builds, checks and gates t for every platform concurrently.
// Each platform has its own graph (bases resolved for it), gates, checks
// and services; one failing fails the whole, and nothing is returned. The
// result is the one BuildKit's Dockerfile frontend returns for several
// platforms (dockerui.Client.Build): a ref and an image config per
// platform ID, and the platform list, so image exporters write an index.
func (r *runner) gatedMulti(ctx context.Context, gw gateway.Client, t plan.Target) (*gateway.Result, *CheckReport, error) {
	plats := r.opts.Platforms
	builds := make([]platformBuild, len(plats))
	errs := make([]error, len(plats))
	var wg sync.WaitGroup
	for i, p := range plats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			builds[i], errs[i] = r.gatedPlatform(ctx, gw, t, p, PlatformID(p))
		}()
	}
	wg.Wait()
	var reports []*CheckReport
	for _, b := range builds {
		if b.checks != nil {
			reports = append(reports, b.checks)
		}
	}
	checks := mergeChecks(reports)
	if err := combine(errs); err != nil {
		return nil, checks, err
	}
	out := gateway.NewResult()
	exp := exptypes.Platforms{Platforms: make([]exptypes.Platform, len(plats))}
	for i, p := range plats {
		id := PlatformID(p)
		out.AddRef(id, builds[i].ref)
		out.AddMeta(fmt.Sprintf("%s/%s", exptypes.ExporterImageConfigKey, id), builds[i].config)
		exp.Platforms[i] = exptypes.Platform{ID: id, Platform: platforms.Normalize(p)}
	}
	dt, err := json.Marshal(exp)
	if err != nil {
		return nil, checks, err
	}
	out.AddMeta(exptypes.ExporterPlatformsKey, dt)
	return out, checks, nil
}

// mergeChecks is one report for the target out of its platforms' reports:
// the checks of every platform counted, each failure naming its platform.
func mergeChecks(reports []*CheckReport) *CheckReport {
	if len(reports) == 0 {
		return nil
	}
	out := &CheckReport{Stage: reports[0].Stage}
	for _, c := range reports {
		out.Total += c.Total
		for _, f := range c.Failures {
			if c.Platform != "" {
				f.Message = "on " + c.Platform + ": " + f.Message
			}
			out.Failures = append(out.Failures, f)
		}
	}
	return out
}

// PlatformError is a build error of one platform of a multi-platform build.
type PlatformError struct {
	Platform string
	Err      error
}

func (e *PlatformError) Error() string { return fmt.Sprintf("platform %s: %v", e.Platform, e.Err) }
func (e *PlatformError) Unwrap() error { return e.Err }

// onPlatform names the platform in a build error of a multi-platform build;
// a gate failure names it in its verdicts, and id "" leaves err as it is.
func onPlatform(err error, id string) error {
	if err == nil || id == "" || errors.As(err, new(*GateError)) || errors.As(err, new(*PlatformError)) {
		return err
	}
	return &PlatformError{Platform: id, Err: err}
}

// onePlatform makes a single entry in Platforms the Platform.
func (o Options) onePlatform() Options {
	if len(o.Platforms) == 1 {
		o.Platform, o.Platforms = o.Platforms[0], nil
	}
	return o
}
