package llbgen

import (
	"context"
	"fmt"
	"sync"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// marshaller marshals the definitions of one graph: each as
// llb.State.Marshal would with the graph's platform and context ID, but
// each vertex once for all of them. BuildKit caches a vertex's marshalled op
// under the *llb.Constraints it was marshalled with, and State.Marshal makes
// new ones per call, so every gate's definition re-marshalled the whole
// chain of stages below it (99 gates over a 400-stage chain took seconds).
// Here every definition shares one Constraints and one record per vertex,
// and a definition is a walk over those records.
//
// The walk itself is linear in the definition's size, and most of it is
// the metadata map. Gates branch off one chain, so where a definition's
// first-input spine meets the spine of an earlier one, the marshaller
// keeps a snapshot of that walk so far (the closure of the meeting vertex,
// which llb's depth-first order emits first); a later definition whose
// spine reaches that vertex starts from a copy of the snapshot instead of
// walking and hashing the whole chain below it again.
type marshaller struct {
	c  *llb.Constraints
	mu sync.Mutex
	// ops are the vertices marshalled so far; digests the ops by digest
	// (vertices may differ and marshal the same).
	ops     map[llb.Vertex]*marshalled
	digests map[digest.Digest]*opDigest
	// walk numbers the definitions marshalled, so a record can tell whether
	// the current one has visited it; cur is the current one so far.
	walk int
	cur  walkState
	// base is the op the current walk starts from a snapshot of, snapAt
	// the one it snapshots; snaps are the ops holding one, oldest first.
	base, snapAt *marshalled
	snaps        []*marshalled
	// warmer marshals, as Generate goes, the vertices of the states
	// whose definitions a build marshals (every stage's, and each gate's
	// result and reports); the first marshal records them (warm.go).
	// warmed is how many it recorded, for tests.
	warmer *warmer
	warmed int
	// size is how many vertices the graph is expected to have, to size
	// the maps by.
	size int
}

// maxSnapshots bounds the snapshots kept: each holds a metadata map as
// large as its closure. Gates marshalled in chain order need one or two.
const maxSnapshots = 8

// marshalled is one vertex's op: its digest and bytes, its metadata as a
// definition records it, and its inputs.
type marshalled struct {
	d *opDigest
	// meta is shared by every definition that has this vertex (and no
	// other vertex with its digest): no definition writes into it.
	meta   *pb.OpMetadata
	inputs []*marshalled
	walked int // the last walk that visited it
	spined int // the last walk whose first-input spine went through it
	snap   *walkState
}

// opDigest is one marshalled op, whichever vertices give it.
type opDigest struct {
	dgst   digest.Digest
	key    string // dgst, as a definition's metadata is keyed
	dt     []byte
	walked int // the last walk that added it to a definition
}

// walkState is a definition being collected: the ops visited, in order,
// the definition's ops and metadata, and what the metadata asks of the
// definition's capabilities.
type walkState struct {
	order                                 []*marshalled
	def                                   [][]byte
	meta                                  map[string]*pb.OpMetadata
	ignoreCache, description, exportCache bool
}

// newMarshaller is a marshaller for about size vertices.
func newMarshaller(c *llb.Constraints, size int) *marshaller {
	return &marshaller{c: c, ops: make(map[llb.Vertex]*marshalled, size), digests: make(map[digest.Digest]*opDigest, size), size: size}
}

// marshal returns st's definition as llb's State.Marshal gives it (in
// its wire form, as Definition.ToPB gives it), with an empty source map.
// Its Def and Metadata are its caller's; the metadata entries are shared
// with other definitions and must not be written into.
func (m *marshaller) marshal(ctx context.Context, st llb.State) (*pb.Definition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.c
	// llbgen sets no source locations; llb would list every op with none.
	def := &pb.Definition{Metadata: map[string]*pb.OpMetadata{}, Source: &pb.Source{}}
	out := st.Output()
	if out == nil || out.Vertex(ctx, c) == nil {
		return def, nil
	}
	if m.warmer != nil {
		m.warmed = m.warmer.finish()
		m.warmer = nil
	}
	root, err := m.op(ctx, out.Vertex(ctx, c))
	if err != nil {
		return def, err
	}
	m.walk++
	m.spine(root)
	m.cur = walkState{}
	m.collect(root)
	w := m.cur
	m.cur = walkState{}
	if w.meta == nil {
		w.meta = map[string]*pb.OpMetadata{}
	}
	def.Def, def.Metadata = w.def, w.meta

	inp, err := out.ToInput(ctx, c)
	if err != nil {
		return def, err
	}
	dt, err := (&pb.Op{Inputs: []*pb.Input{inp}}).MarshalVT()
	if err != nil {
		return def, err
	}
	def.Def = append(def.Def, dt)
	key := string(digest.FromBytes(dt))
	// A new entry, as llb's marshal gives the final op: whatever a vertex
	// with its digest asked for, and its own caps.
	md := &pb.OpMetadata{Caps: map[string]bool{string(pb.CapConstraints): true, string(pb.CapPlatform): true}}
	had := def.Metadata[key]
	if had != nil {
		md.IgnoreCache, md.Description, md.ExportCache, md.ProgressGroup = had.IgnoreCache, had.Description, had.ExportCache, had.ProgressGroup
	}
	// As llb's marshal does over every entry of the metadata: the flags
	// collected say what those entries hold, the final op's own included.
	if w.ignoreCache || md.IgnoreCache {
		md.Caps[string(pb.CapMetaIgnoreCache)] = true
	}
	if w.description || len(md.Description) > 0 {
		md.Caps[string(pb.CapMetaDescription)] = true
	}
	if w.exportCache || md.ExportCache != nil {
		md.Caps[string(pb.CapMetaExportCache)] = true
	}
	def.Metadata[key] = md
	return def, nil
}

// op marshals a vertex and its inputs, or returns what it gave before.
func (m *marshaller) op(ctx context.Context, v llb.Vertex) (*marshalled, error) {
	if op, ok := m.ops[v]; ok {
		return op, nil
	}
	op := &marshalled{}
	for _, inp := range v.Inputs() {
		in, err := m.op(ctx, inp.Vertex(ctx, m.c))
		if err != nil {
			return nil, err
		}
		op.inputs = append(op.inputs, in)
	}
	dgst, dt, opMeta, sls, err := v.Marshal(ctx, m.c)
	if err != nil {
		return nil, err
	}
	return op, m.record(v, op, dgst, dt, opMetadata(opMeta), sls)
}

// record keeps v's op, marshalled as dgst and dt, with its inputs already
// in op and meta (opMetadata's) its metadata.
func (m *marshaller) record(v llb.Vertex, op *marshalled, dgst digest.Digest, dt []byte, meta *pb.OpMetadata, sls []*llb.SourceLocation) error {
	if len(sls) > 0 {
		// A vertex with source locations would need llb's source map
		// collector, which is not exported; llbgen sets none.
		return fmt.Errorf("marshalling %s: source locations are not supported", dgst)
	}
	if op.d = m.digests[dgst]; op.d == nil {
		op.d = &opDigest{dgst: dgst, key: string(dgst), dt: dt}
		m.digests[dgst] = op.d
	}
	op.meta = meta
	m.ops[v] = op
	return nil
}

// opMetadata is a vertex's metadata as llb's marshal records it: merged
// into an empty entry. With every cap true, that is opMeta itself on the
// wire, and BuildKit's cached entry is shared as it is (nothing writes
// into it).
func opMetadata(opMeta *pb.OpMetadata) *pb.OpMetadata {
	if opMeta == nil || allTrue(opMeta.Caps) {
		return opMeta
	}
	return mergeMetadata(nil, opMeta)
}

// allTrue says whether every value of caps is true.
func allTrue(caps map[string]bool) bool {
	for _, v := range caps {
		if !v {
			return false
		}
	}
	return true
}
