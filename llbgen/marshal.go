package llbgen

import (
	"context"
	"fmt"
	"maps"
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
type marshaller struct {
	c  *llb.Constraints
	mu sync.Mutex
	// ops are the vertices marshalled so far; digests the ops by digest
	// (vertices may differ and marshal the same).
	ops     map[llb.Vertex]*marshalled
	digests map[digest.Digest]*opDigest
	// walk numbers the definitions marshalled, so a record can tell whether
	// the current one has visited it; order is the current one's ops.
	walk  int
	order []*marshalled
}

// marshalled is one vertex's op: its digest and bytes, its metadata as a
// definition first records it, and its inputs.
type marshalled struct {
	d      *opDigest
	meta   *llb.OpMetadata
	inputs []*marshalled
	walked int // the last walk that visited it
}

// opDigest is one marshalled op, whichever vertices give it.
type opDigest struct {
	dgst   digest.Digest
	dt     []byte
	walked int // the last walk that added it to a definition
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
	m.order = m.order[:0]
	m.collect(root)
	m.fill(def)

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
	for _, m := range def.Metadata {
		if m.IgnoreCache {
			md.Caps[pb.CapMetaIgnoreCache] = true
		}
		if m.Description != nil {
			md.Caps[pb.CapMetaDescription] = true
		}
		if m.ExportCache != nil {
			md.Caps[pb.CapMetaExportCache] = true
		}
	}
	def.Metadata[dgst] = md
	// llbgen sets no source locations; llb would list every op with none.
	def.Source = &pb.Source{}
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
		meta := mergeMetadata(llb.OpMetadata{}, llb.NewOpMetadata(opMeta))
		op.meta = &meta
	}
	m.ops[v] = op
	return op, nil
}

// collect appends op's inputs and then op to m.order, each once per walk:
// the order llb's marshal visits them in.
func (m *marshaller) collect(op *marshalled) {
	if op.walked == m.walk {
		return
	}
	for _, in := range op.inputs {
		m.collect(in)
	}
	op.walked = m.walk
	m.order = append(m.order, op)
}

// fill records the collected ops in def: each digest's op once, its
// metadata merged over the vertices that have it, as llb's marshal does.
func (m *marshaller) fill(def *llb.Definition) {
	def.Metadata = make(map[digest.Digest]llb.OpMetadata, len(m.order)+1)
	def.Def = make([][]byte, 0, len(m.order)+1)
	for _, op := range m.order {
		dup := op.d.walked == m.walk
		switch {
		case op.meta == nil:
		case dup:
			// Two vertices with one digest: merge into a copy, since the
			// recorded metadata is shared by every definition.
			had := def.Metadata[op.d.dgst]
			had.Description, had.Caps = maps.Clone(had.Description), maps.Clone(had.Caps)
			def.Metadata[op.d.dgst] = mergeMetadata(had, *op.meta)
		default:
			def.Metadata[op.d.dgst] = *op.meta
		}
		if !dup {
			op.d.walked = m.walk
			def.Def = append(def.Def, op.d.dt)
		}
	}
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
