package llbgen

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/moby/buildkit/client/llb"
)

// warmNode is a vertex to marshal ahead: how many of its inputs are still
// to be marshalled, and the vertices that wait on it (once per input).
type warmNode struct {
	v       llb.Vertex
	pending atomic.Int32
	users   []*warmNode
}

// warm marshals the vertices of roots that the marshaller has not, on up
// to GOMAXPROCS goroutines, each once its inputs are: BuildKit marshals a
// vertex once per Constraints and keeps the result, so the walks after
// find every op ready. Independent branches (the context sources, the
// gates) are marshalled beside the chain of stages they hang off.
//
// The ops are what they would be marshalled one at a time: a vertex's op
// depends only on the vertex and its inputs' digests. An error is left for
// the marshalling after, which meets it again and reports it. It returns
// how many vertices it marshalled (none with a single goroutine).
func (m *marshaller) warm(ctx context.Context, roots []llb.State) int {
	nodes := map[llb.Vertex]*warmNode{}
	var ready []*warmNode
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
			if in := visit(inp.Vertex(ctx, m.c)); in != nil {
				n.pending.Add(1)
				in.users = append(in.users, n)
			}
		}
		if n.pending.Load() == 0 {
			ready = append(ready, n)
		}
		return n
	}
	var total int32
	for _, st := range roots {
		if out := st.Output(); out != nil {
			if v := out.Vertex(ctx, m.c); v != nil {
				visit(v)
			}
		}
	}
	for _, n := range nodes {
		if n != nil {
			total++
		}
	}
	workers := min(runtime.GOMAXPROCS(0), int(total))
	if workers < 2 {
		return 0
	}
	queue := make(chan *warmNode, total)
	for _, n := range ready {
		queue <- n
	}
	var left atomic.Int32
	left.Store(total)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range queue {
				_, _, _, _, _ = n.v.Marshal(ctx, m.c)
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
	return int(total)
}
