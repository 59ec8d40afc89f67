package build

import (
	"context"
	"fmt"

	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/llbgen"
)

// gwSession is one target's gateway function: the gateway client it was
// handed and the graph generated in it. Its methods solve, run the gates
// and checks, and serve the services (services.Session).
type gwSession struct {
	r     *runner
	gw    gateway.Client
	graph *llbgen.Graph
	// platform is the one this session builds; platformID is its ID in a
	// multi-platform build ("" in a single-platform one).
	platform   ocispecs.Platform
	platformID string
	// probe runs on the daemon's network once a service or smoke check
	// needs it (probe.go); close ends it.
	probe probeOnce
}

// newSession resolves the base images and generates the graph in gw.
func (r *runner) newSession(ctx context.Context, gw gateway.Client, platform ocispecs.Platform) (*gwSession, error) {
	s := &gwSession{r: r, gw: gw, platform: platform}
	var err error
	if s.graph, err = s.generate(ctx, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// solve solves st with the build's cache imports and returns its ref.
func (s *gwSession) solve(ctx context.Context, st llb.State) (gateway.Reference, error) {
	def, err := s.graph.MarshalState(ctx, st)
	if err != nil {
		return nil, err
	}
	imports, err := cacheImports(s.gw)
	if err != nil {
		return nil, err
	}
	res, err := s.gw.Solve(ctx, gateway.SolveRequest{Definition: def, Evaluate: true, CacheImports: imports})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}

// Image solves a service's image (services.Session).
func (s *gwSession) Image(ctx context.Context, service string) (gateway.Reference, ocispecs.ImageConfig, error) {
	st, cfg, err := s.graph.Service(service)
	if err != nil {
		return nil, ocispecs.ImageConfig{}, err
	}
	ref, err := s.solve(ctx, st)
	if err != nil {
		return nil, ocispecs.ImageConfig{}, fmt.Errorf("building its image: %w", err)
	}
	return ref, cfg.Config, nil
}

// Container creates a container with ref at / (services.Session). Its
// network is the worker's default, the daemon's host network.
func (s *gwSession) Container(ctx context.Context, ref gateway.Reference) (gateway.Container, error) {
	return s.gw.NewContainer(ctx, gateway.NewContainerRequest{
		Mounts: []gateway.Mount{{Dest: "/", Ref: ref, MountType: pb.MountType_BIND}},
	})
}

// Env is a stage's image env (services.Session).
func (s *gwSession) Env(stage string) []string {
	return s.graph.Stage(stage).Config.Config.Env
}
