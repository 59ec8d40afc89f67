package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/cache"
	"github.com/stagebuild/stagebuild/llbgen"
)

// asGateFailure turns a solve error into a *GateError when the failing
// vertex is the stage's own test command. Any other failure (a broken
// install, an unreachable base image) stays a build error.
func asGateFailure(err error, stage *cache.Stage, def *llb.Definition, logs *logRecorder) error {
	if stage == nil || !stage.Gate {
		return err
	}
	testVertex, derr := llbgen.OutputDigest(def)
	if derr != nil {
		return err
	}
	var ve *errdefs.VertexError
	if !errors.As(err, &ve) || digest.Digest(ve.Digest) != testVertex {
		return err
	}
	var ee *gatewaypb.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	test := stage.Steps[len(stage.Steps)-1]
	cmd := test.Args[0]
	if !test.Shell {
		b, _ := json.Marshal(test.Args)
		cmd = string(b)
	}
	return &GateError{Failures: []GateFailure{{
		Gate: stage.Name, Command: cmd, ExitCode: int(ee.ExitCode), Log: logs.tail(testVertex),
	}}}
}

// resolveBases resolves every base image of the plan, in parallel, to its
// digest and config.
func resolveBases(ctx context.Context, gw gateway.Client, plan *cache.Plan, platform ocispecs.Platform) (map[string]llbgen.BaseImage, error) {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		bases    = map[string]llbgen.BaseImage{}
	)
	for _, s := range plan.Stages {
		img := s.Base.Image
		if img == "" {
			continue
		}
		mu.Lock()
		_, dup := bases[img]
		bases[img] = llbgen.BaseImage{}
		mu.Unlock()
		if dup {
			continue
		}
		wg.Add(1)
		go func(stage string) {
			defer wg.Done()
			b, err := resolveBase(ctx, gw, img, platform)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("resolving base image %q of stage %s: %w", img, stage, err)
			}
			bases[img] = b
		}(s.Name)
	}
	wg.Wait()
	return bases, firstErr
}

func resolveBase(ctx context.Context, gw gateway.Client, img string, platform ocispecs.Platform) (llbgen.BaseImage, error) {
	named, err := reference.ParseNormalizedNamed(img)
	if err != nil {
		return llbgen.BaseImage{}, err
	}
	named = reference.TagNameOnly(named)
	_, dgst, cfgBytes, err := gw.ResolveImageConfig(ctx, named.String(), sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &platform, ResolveMode: "default"},
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
