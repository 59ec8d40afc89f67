package llbgen

import (
	"maps"
	"slices"

	"github.com/moby/buildkit/solver/pb"
)

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
		w.meta = map[string]*pb.OpMetadata{}
	}
	w.order = append(w.order, op)
	dup := op.d.walked == m.walk
	if meta := op.meta; meta != nil {
		w.ignoreCache = w.ignoreCache || meta.IgnoreCache
		w.description = w.description || len(meta.Description) > 0
		w.exportCache = w.exportCache || meta.ExportCache != nil
		if had := w.meta[op.d.key]; dup && had != nil {
			// Two vertices with one digest: a new entry, since the
			// recorded ones are shared by every definition.
			w.meta[op.d.key] = mergeMetadata(had, meta)
		} else {
			w.meta[op.d.key] = meta
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

// mergeMetadata is a new entry with what llb's mergeMetadata gives for
// m1 and m2 (m1 may be nil), in the form OpMetadata.ToPB gives it. It
// shares maps with neither.
func mergeMetadata(m1, m2 *pb.OpMetadata) *pb.OpMetadata {
	md := &pb.OpMetadata{Caps: map[string]bool{}}
	for _, m := range []*pb.OpMetadata{m1, m2} {
		if m == nil {
			continue
		}
		md.IgnoreCache = md.IgnoreCache || m.IgnoreCache
		if len(m.Description) > 0 {
			if md.Description == nil {
				md.Description = make(map[string]string, len(m.Description))
			}
			maps.Copy(md.Description, m.Description)
		}
		if m.ExportCache != nil {
			md.ExportCache = m.ExportCache
		}
		for k := range m.Caps {
			md.Caps[k] = true
		}
		if m.ProgressGroup != nil {
			md.ProgressGroup = m.ProgressGroup
		}
	}
	return md
}
