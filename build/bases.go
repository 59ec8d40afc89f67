package build

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/plan"
)

// resolveBases resolves every base image of the plan, in parallel, to its
// digest and config.
func resolveBases(ctx context.Context, gw gateway.Client, pl *plan.Plan, platform ocispecs.Platform, pull bool) (map[string]llbgen.BaseImage, error) {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		bases    = map[string]llbgen.BaseImage{}
	)
	for _, use := range pl.Images() { // stages' bases and services' images
		img := use.Image
		mu.Lock()
		_, dup := bases[img]
		bases[img] = llbgen.BaseImage{}
		mu.Unlock()
		if dup {
			continue
		}
		wg.Add(1)
		go func(user string) {
			defer wg.Done()
			b, err := resolveBase(ctx, gw, img, platform, pull)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("resolving base image %q of %s: %w", img, user, err)
			}
			bases[img] = b
		}(use.User)
	}
	wg.Wait()
	return bases, firstErr
}

func resolveBase(ctx context.Context, gw gateway.Client, img string, platform ocispecs.Platform, pull bool) (llbgen.BaseImage, error) {
	mode := "default"
	if pull {
		mode = "pull"
	}
	named, err := reference.ParseNormalizedNamed(img)
	if err != nil {
		return llbgen.BaseImage{}, err
	}
	named = reference.TagNameOnly(named)
	_, dgst, cfgBytes, err := gw.ResolveImageConfig(ctx, named.String(), sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &platform, ResolveMode: mode},
	})
	if err != nil {
		return llbgen.BaseImage{}, err
	}
	var cfg ocispecs.Image
	if err := json.Unmarshal(cfgBytes, &cfg); err != nil {
		return llbgen.BaseImage{}, fmt.Errorf("decoding image config: %w", err)
	}
	ref := named.String()
	if dgst != "" {
		if canonical, err := reference.WithDigest(named, dgst); err == nil {
			ref = canonical.String()
		}
	}
	return llbgen.BaseImage{Ref: ref, Config: cfg}, nil
}
