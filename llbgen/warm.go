package llbgen

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// warmNode is a vertex to marshal ahead: its inputs, how many of them are
// still to be marshalled, the vertices that wait on it (once per input),
// and what marshalling it gave.
type warmNode struct {
	v       llb.Vertex
	ins     []llb.Vertex
	pending atomic.Int32
	users   []*warmNode

	dgst digest.Digest
	dt   []byte
	meta *pb.OpMetadata
	sls  []*llb.SourceLocation
	err  error
}

// warm marshals the vertices of roots that the marshaller has not, on up
// to GOMAXPROCS goroutines, each once its inputs are, and records them as
// op would have. Independent branches (the context sources, the gates)
// are marshalled beside the chain of stages they hang off.
//
// The ops are what they would be marshalled one at a time: a vertex's op
// depends only on the vertex and its inputs' digests, and BuildKit
// marshals a vertex once per Constraints (under a lock of its own). A
// vertex that fails is left, with those above it, for op, which meets the
// error again and reports it. warm returns how many vertices it recorded
// (none with a single goroutine).
func (m *marshaller) warm(ctx context.Context, roots []llb.State) int {
	nodes := map[llb.Vertex]*warmNode{}
	var post, ready []*warmNode
	// visit collects v and its inputs not yet marshalled, inputs first.
	// Listing a vertex's inputs sorts an exec's mounts in place, so every
	// vertex is listed here, before any goroutine marshals one.
	var visit func(v llb.Vertex) *warmNode
	visit = func(v llb.Vertex) *warmNode {
		if n, ok := nodes[v]; ok {
			return n
		}
		if _, ok := m.ops[v]; ok {
			nodes[v] = nil
			return nil
		}
		n := &warmNode{v: v}
		nodes[v] = n
		for _, inp := range v.Inputs() {
			iv := inp.Vertex(ctx, m.c)
			n.ins = append(n.ins, iv)
			if in := visit(iv); in != nil {
				n.pending.Add(1)
				in.users = append(in.users, n)
			}
		}
		if n.pending.Load() == 0 {
			ready = append(ready, n)
		}
		post = append(post, n)
		return n
	}
	for _, st := range roots {
		if out := st.Output(); out != nil {
			if v := out.Vertex(ctx, m.c); v != nil {
				visit(v)
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(post))
	if workers < 2 {
		return 0
	}
	queue := make(chan *warmNode, len(post))
	for _, n := range ready {
		queue <- n
	}
	var left atomic.Int32
	left.Store(int32(len(post)))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range queue {
				n.dgst, n.dt, n.meta, n.sls, n.err = n.v.Marshal(ctx, m.c)
				for _, u := range n.users {
					if u.pending.Add(-1) == 0 {
						queue <- u
					}
				}
				if left.Add(-1) == 0 {
					close(queue)
				}
			}
		}()
	}
	wg.Wait()
	// Record them inputs first, as op would; not those that failed or
	// whose inputs did.
	recorded := 0
	for _, n := range post {
		op := &marshalled{}
		for _, iv := range n.ins {
			if in := m.ops[iv]; in != nil {
				op.inputs = append(op.inputs, in)
			} else {
				n.err = errNotWarmed
			}
		}
		if n.err == nil && m.record(n.v, op, n.dgst, n.dt, n.meta, n.sls) == nil {
			recorded++
		}
	}
	return recorded
}

// errNotWarmed marks a vertex whose input warm could not record.
var errNotWarmed = errors.New("an input was not marshalled")
