package llbgen

import (
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// InvocationAttr is an attribute of every base image's source op that
// holds the invocation's unique ID (Options.LocalUniqueID). BuildKit
// ignores it when it pulls the image and leaves it out of the cache key
// (which is the manifest digest), but it is part of the op's digest, so
// each invocation gets a vertex of its own for its bases.
//
// Why: concurrent builds that load the same vertex share one in-memory
// edge in the daemon. An edge that ran its op (a base pulled for the first
// time on a fresh daemon) keeps no cache keys of its own after that, and
// BuildKit v0.28's solver finds a child step's cache only through those
// keys: every build that joins such an edge while another build still
// holds it re-runs the steps on top of it, even when they are cached (see
// moby/buildkit#4674, #6954). A vertex of its own looks the base up in the
// cache first, so its steps hit.
//
// What this cannot prevent: the solver also merges an edge into another
// build's active edge with the same cache key, at any depth. A build that
// runs while another still holds a step it executed (the same project's
// installs, say) may re-run the cached steps above that one. The result is
// the same; only the time is lost. The fix is upstream's.
const InvocationAttr = "stagebuild.invocation"

// image is the source op of a base image: llb.Image's op, with the
// invocation's unique ID among its attributes.
func image(ref string, platform ocispecs.Platform, pull bool, name, invocation string) llb.State {
	if r, err := reference.ParseNormalizedNamed(ref); err == nil {
		ref = reference.TagNameOnly(r).String()
	}
	attrs := map[string]string{}
	if pull {
		attrs[pb.AttrImageResolveMode] = pb.AttrImageResolveModeForcePull
	}
	if invocation != "" {
		attrs[InvocationAttr] = invocation
	}
	var c llb.Constraints
	for _, o := range []llb.ConstraintsOpt{llb.Platform(platform), llb.WithCustomName(name)} {
		o.SetConstraintsOption(&c)
	}
	c.Metadata.Caps = map[apicaps.CapID]bool{pb.CapSourceImage: true}
	if pull {
		c.Metadata.Caps[pb.CapSourceImageResolveMode] = true
	}
	return llb.NewState(llb.NewSource("docker-image://"+ref, attrs, c).Output())
}
