package services

import (
	"context"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Session is what the services of one build session (one target's gateway
// function) need from its solve. Each session has its own containers.
type Session interface {
	// Image solves the named service's image and returns its root and its
	// config.
	Image(ctx context.Context, service string) (gateway.Reference, ocispecs.ImageConfig, error)
	// Container creates a container with ref mounted at /, on the daemon's
	// default (host) network.
	Container(ctx context.Context, ref gateway.Reference) (gateway.Container, error)
	// Env is the image env of a stage, for ${NAME} in a gate's service env.
	Env(stage string) []string
	// Probe is the session's probe on the daemon's network (one per
	// session, started on first use): it picks the services' ports and
	// runs their network readiness checks where they run.
	Probe(ctx context.Context) (*Probe, error)
}
