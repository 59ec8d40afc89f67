package llbgen

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
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
}

// maxSnapshots bounds the snapshots kept: each holds a metadata map as
// large as its closure. Gates marshalled in chain order need one or two.
const maxSnapshots = 8

// marshalled is one vertex's op: its digest and bytes, its metadata as a
// definition first records it, and its inputs.
type marshalled struct {
	d      *opDigest
	meta   *llb.OpMetadata
	inputs []*marshalled
	walked int // the last walk that visited it
	spined int // the last walk whose first-input spine went through it
	snap   *walkState
}

// opDigest is one marshalled op, whichever vertices give it.
type opDigest struct {
	dgst   digest.Digest
	dt     []byte
	walked int // the last walk that added it to a definition
}

// walkState is a definition being collected: the ops visited, in order,
// the definition's ops and metadata, and what the metadata asks of the
// definition's capabilities.
type walkState struct {
	order                                 []*marshalled
	def                                   [][]byte
	meta                                  map[digest.Digest]llb.OpMetadata
	ignoreCache, description, exportCache bool
}

func newMarshaller(c *llb.Constraints) *marshaller {
	return &marshaller{c: c, ops: map[llb.Vertex]*marshalled{}, digests: map[digest.Digest]*opDigest{}}
}

func (m *marshaller) marshal(ctx context.Context, st llb.State) (*llb.Definition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.c
	def := &llb.Definition{Metadata: map[digest.Digest]llb.OpMetadata{}, Constraints: c}
	out := st.Output()
	if out == nil || out.Vertex(ctx, c) == nil {
		return def, nil
	}
	root, err := m.op(ctx, out.Vertex(ctx, c))
	if err != nil {
		return def, err
	}
	m.walk++
	m.spine(root)
	m.cur = walkState{}
	m.collect(root)
	w := &m.cur
	if w.meta == nil {
		w.meta = map[digest.Digest]llb.OpMetadata{}
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
	dgst := digest.FromBytes(dt)
	md := def.Metadata[dgst]
	md.Caps = map[apicaps.CapID]bool{pb.CapConstraints: true, pb.CapPlatform: true}
	// As llb's marshal does over every entry of def.Metadata: the flags
	// collected say what those entries hold, the final op's own included.
	if w.ignoreCache || md.IgnoreCache {
		md.Caps[pb.CapMetaIgnoreCache] = true
	}
	if w.description || md.Description != nil {
		md.Caps[pb.CapMetaDescription] = true
	}
	if w.exportCache || md.ExportCache != nil {
		md.Caps[pb.CapMetaExportCache] = true
	}
	def.Metadata[dgst] = md
	// llbgen sets no source locations; llb would list every op with none.
	def.Source = &pb.Source{}
	m.cur = walkState{}
	return def, nil
}

// spine follows root's first inputs, the ops llb's depth-first walk
// enters before it emits any: down to the first that holds a snapshot
// (m.base), noting the first that an earlier walk's spine went through
// (m.snapAt), where this definition leaves what an earlier one had.
func (m *marshaller) spine(root *marshalled) {
	m.base, m.snapAt = nil, nil
	for op := root; op != nil; op = op.inputs[0] {
		if op.snap != nil {
			m.base = op
			return
		}
		if m.snapAt == nil && op.spined != 0 {
			m.snapAt = op
		}
		op.spined = m.walk
		if len(op.inputs) == 0 {
			return
		}
	}
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
	if len(sls) > 0 {
		// A vertex with source locations would need llb's source map
		// collector, which is not exported; llbgen sets none.
		return nil, fmt.Errorf("marshalling %s: source locations are not supported", dgst)
	}
	if op.d = m.digests[dgst]; op.d == nil {
		op.d = &opDigest{dgst: dgst, dt: dt}
		m.digests[dgst] = op.d
	}
	if opMeta != nil {
		// As llb's mergeMetadata into an empty entry gives, without copying
		// the maps: no definition writes into them (add merges into copies).
		meta := llb.NewOpMetadata(opMeta)
		if len(meta.Description) == 0 {
			meta.Description = nil
		}
		op.meta = &meta
	}
	m.ops[v] = op
	return op, nil
}

// collect adds op's inputs and then op to the current definition, each
// once per walk: the order llb's marshal visits them in.
func (m *marshaller) collect(op *marshalled) {
	if op.walked == m.walk {
		return
	}
	if op == m.base && len(m.cur.order) == 0 {
		m.restore(op)
		return
	}
	for _, in := range op.inputs {
		m.collect(in)
	}
	op.walked = m.walk
	m.add(op)
	if op == m.snapAt {
		m.snapshot(op)
	}
}

// add records op in the current definition: each digest's op once, its
// metadata merged over the vertices that have it, as llb's marshal does.
func (m *marshaller) add(op *marshalled) {
	w := &m.cur
	if w.meta == nil {
		w.meta = map[digest.Digest]llb.OpMetadata{}
	}
	w.order = append(w.order, op)
	dup := op.d.walked == m.walk
	if meta := op.meta; meta != nil {
		w.ignoreCache = w.ignoreCache || meta.IgnoreCache
		w.description = w.description || meta.Description != nil
		w.exportCache = w.exportCache || meta.ExportCache != nil
		if dup {
			// Two vertices with one digest: merge into a copy, since the
			// recorded metadata is shared by every definition.
			had := w.meta[op.d.dgst]
			had.Description, had.Caps = maps.Clone(had.Description), maps.Clone(had.Caps)
			w.meta[op.d.dgst] = mergeMetadata(had, *meta)
		} else {
			w.meta[op.d.dgst] = *meta
		}
	}
	if !dup {
		op.d.walked = m.walk
		w.def = append(w.def, op.d.dt)
	}
}

// snapshot keeps the current definition, the closure of op, for later
// walks that reach op first, and goes on with a copy of its metadata. The
// snapshot's slices are the current ones capped at their length, so that
// appending to them copies (and the definition's Def is its caller's to
// append to, not to write into).
func (m *marshaller) snapshot(op *marshalled) {
	w := m.cur
	op.snap = &walkState{order: w.order[:len(w.order):len(w.order)], def: w.def[:len(w.def):len(w.def)], meta: w.meta,
		ignoreCache: w.ignoreCache, description: w.description, exportCache: w.exportCache}
	m.snaps = append(m.snaps, op)
	if len(m.snaps) > maxSnapshots {
		m.drop(m.snaps[0])
	}
	m.cur.meta = maps.Clone(w.meta)
}

// restore starts the current definition from a snapshot: its ops visited
// in this walk, and its definition and metadata. When this walk takes a
// snapshot of its own further up the same spine, which holds all of this
// one, it takes this one's metadata over; otherwise it copies it (a
// definition's metadata is its caller's to keep).
func (m *marshaller) restore(op *marshalled) {
	s := op.snap
	for _, o := range s.order {
		o.walked = m.walk
		o.d.walked = m.walk
	}
	// Room for the ops above the snapshot: a gate's own and the stages
	// between it and the last gate's.
	const room = 32
	m.cur = *s
	m.cur.order = append(make([]*marshalled, 0, len(s.order)+room), s.order...)
	m.cur.def = append(make([][]byte, 0, len(s.def)+room), s.def...)
	if m.snapAt != nil {
		m.drop(op)
	} else {
		m.cur.meta = maps.Clone(s.meta)
	}
}

// drop forgets op's snapshot.
func (m *marshaller) drop(op *marshalled) {
	op.snap = nil
	m.snaps = slices.DeleteFunc(m.snaps, func(o *marshalled) bool { return o == op })
}

// mergeMetadata is llb's: what two vertices with one digest ask for.
func mergeMetadata(m1, m2 llb.OpMetadata) llb.OpMetadata {
	if m2.IgnoreCache {
		m1.IgnoreCache = true
	}
	if len(m2.Description) > 0 {
		if m1.Description == nil {
			m1.Description = make(map[string]string)
		}
		maps.Copy(m1.Description, m2.Description)
	}
	if m2.ExportCache != nil {
		m1.ExportCache = m2.ExportCache
	}
	for k := range m2.Caps {
		if m1.Caps == nil {
			m1.Caps = make(map[apicaps.CapID]bool, len(m2.Caps))
		}
		m1.Caps[k] = true
	}
	if m2.ProgressGroup != nil {
		m1.ProgressGroup = m2.ProgressGroup
	}
	return m1
}
