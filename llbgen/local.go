package llbgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/encoding/protowire"
)

// localSource is a local source op: the op and metadata llb.Local gives
// with the options contextSources sets (a session or the constraints'
// unique ID, include and exclude patterns, a shared key hint, a custom
// name), built and marshalled directly, its attributes only when it is
// marshalled. A pipeline has one per copied path, hundreds in a large
// one; llb's State, options and generic marshalling cost several times
// the op's own encoding and hash. TestOwnOpsAsLLB holds it to
// llb.Local's bytes and metadata.
type localSource struct {
	name   string // the local's name
	src    string // the path copied
	common *localCommon

	mu   sync.Mutex
	c    *llb.Constraints // the constraints of the last marshal
	dgst digest.Digest
	dt   []byte
	meta *pb.OpMetadata
}

// Validate, Marshal, Output and Inputs make it an llb.Vertex; ToInput and
// Vertex its own output.
func (s *localSource) Validate(context.Context, *llb.Constraints) error { return nil }
func (s *localSource) Output() llb.Output                               { return s }
func (s *localSource) Inputs() []llb.Output                             { return nil }

func (s *localSource) Vertex(context.Context, *llb.Constraints) llb.Vertex { return s }

func (s *localSource) ToInput(ctx context.Context, c *llb.Constraints) (*pb.Input, error) {
	dgst, _, _, _, err := s.Marshal(ctx, c)
	if err != nil {
		return nil, err
	}
	return &pb.Input{Digest: string(dgst)}, nil
}

// Marshal gives what llb's SourceOp.Marshal gives for llb.Local's op:
// the pb.Op (a source with no platform and empty worker constraints),
// encoded as proto's deterministic marshalling encodes it (attributes
// sorted by key), its digest and its metadata.
func (s *localSource) Marshal(_ context.Context, c *llb.Constraints) (digest.Digest, []byte, *pb.OpMetadata, []*llb.SourceLocation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == c && s.dt != nil {
		return s.dgst, s.dt, s.meta, nil, nil
	}
	type kv struct{ k, v string }
	m := s.common.attrs(s.src)
	attrs := make([]kv, 0, len(m)+1)
	for k, v := range m {
		attrs = append(attrs, kv{k, v})
	}
	caps := map[string]bool{string(pb.CapSourceLocal): true}
	for k := range m {
		if cp, ok := localAttrCaps[k]; ok {
			caps[string(cp)] = true
		}
	}
	if s.common.session == "" {
		attrs = append(attrs, kv{pb.AttrLocalUniqueID, c.LocalUniqueID})
		caps[string(pb.CapSourceLocalUnique)] = true
	}
	slices.SortFunc(attrs, func(a, b kv) int {
		if a.k < b.k {
			return -1
		}
		if a.k > b.k {
			return 1
		}
		return 0
	})
	var src []byte
	src = protowire.AppendTag(src, 1, protowire.BytesType)
	src = protowire.AppendString(src, "local://"+s.name)
	for _, a := range attrs {
		n := protowire.SizeTag(1) + protowire.SizeBytes(len(a.k)) + protowire.SizeTag(2) + protowire.SizeBytes(len(a.v))
		src = protowire.AppendTag(src, 2, protowire.BytesType)
		src = protowire.AppendVarint(src, uint64(n))
		src = protowire.AppendTag(src, 1, protowire.BytesType)
		src = protowire.AppendString(src, a.k)
		src = protowire.AppendTag(src, 2, protowire.BytesType)
		src = protowire.AppendString(src, a.v)
	}
	// Go's protobuf encodes a message's oneof (Op.op) after its other
	// fields (Op.constraints, empty).
	dt := make([]byte, 0, len(src)+8)
	dt = protowire.AppendTag(dt, 11, protowire.BytesType)
	dt = protowire.AppendVarint(dt, 0)
	dt = protowire.AppendTag(dt, 3, protowire.BytesType)
	dt = protowire.AppendBytes(dt, src)
	s.c, s.dt, s.dgst = c, dt, sha256Digest(dt)
	s.meta = &pb.OpMetadata{Caps: caps, Description: map[string]string{"llb.customname": "[context] " + s.src}}
	return s.dgst, s.dt, s.meta, nil, nil
}

// localAttrCaps are the caps llb.Local adds for the attributes it sets.
var localAttrCaps = map[string]string{
	pb.AttrLocalSessionID:  string(pb.CapSourceLocalSessionID),
	pb.AttrIncludePatterns: string(pb.CapSourceLocalIncludePatterns),
	pb.AttrExcludePatterns: string(pb.CapSourceLocalExcludePatterns),
	pb.AttrSharedKeyHint:   string(pb.CapSourceLocalSharedKeyHint),
}

// sha256Digest is digest.FromBytes(dt), without its hasher's allocations.
func sha256Digest(dt []byte) digest.Digest {
	sum := sha256.Sum256(dt)
	var b [7 + 2*sha256.Size]byte
	copy(b[:], "sha256:")
	hex.Encode(b[7:], sum[:])
	return digest.Digest(b[:])
}
