package llbgen

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// warmer marshals the vertices of the states a build will marshal while
// Generate is still generating the stages above them, on GOMAXPROCS
// goroutines, each vertex once its inputs are, and records them as op
// would have; the first definition marshalled waits for it (finish). Independent
// branches (the context sources, the gates) go beside the chain of stages
// they hang off, and the chain beside its generation.
//
// The ops are what they would be marshalled one at a time: a vertex's op
// depends only on the vertex and its inputs' digests, and BuildKit
// marshals a vertex once per Constraints (under a lock of its own). The
// states handed to add are never changed after: Generate builds each stage
// on its parent's state. Listing a vertex's inputs sorts an exec's mounts
// in place; add does it first, before any goroutine marshals the vertex,
// and llb sorts them again whenever a consumer marshals (possibly on two
// workers at once, for two stages on one gate's state), which then finds
// them sorted and writes nothing.
type warmer struct {
	m     *marshaller
	mu    sync.Mutex
	cond  sync.Cond
	nodes map[llb.Vertex]*warmNode
	// ready are the vertices whose inputs are marshalled, to marshal
	// from next on.
	ready  []*warmNode
	next   int
	closed bool
	wg     sync.WaitGroup
	// recorded counts the vertices recorded.
	recorded int
}

// warmNode is a vertex to marshal: its inputs, how many of them are still
// to be marshalled, the vertices that wait on it (once per input), and
// what marshalling it gave.
type warmNode struct {
	v       llb.Vertex
	ins     []llb.Vertex
	pending int
	users   []*warmNode
	done    bool

	dgst digest.Digest
	dt   []byte
	meta *pb.OpMetadata
	sls  []*llb.SourceLocation
	err  error
}

// startWarm starts the marshaller's warmer, or returns nil with a single
// goroutine to run on (the marshalling then goes as op does it).
func (m *marshaller) startWarm() *warmer {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 {
		return nil
	}
	w := &warmer{m: m, nodes: make(map[llb.Vertex]*warmNode, m.size)}
	w.cond.L = &w.mu
	for range workers {
		w.wg.Add(1)
		go w.work()
	}
	m.warmer = w
	return w
}

// add hands the warmer states to marshal. They must not change after.
func (w *warmer) add(states ...llb.State) {
	if w == nil {
		return
	}
	// Vertex makes no use of the context for llbgen's states (none is
	// asynchronous); marshal uses its own again when it records them.
	ctx := context.Background()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, st := range states {
		if out := st.Output(); out != nil {
			if v := out.Vertex(ctx, w.m.c); v != nil {
				w.visit(ctx, v)
			}
		}
	}
	w.cond.Broadcast()
}

// visit collects v and its inputs not yet collected, inputs first.
func (w *warmer) visit(ctx context.Context, v llb.Vertex) *warmNode {
	if n, ok := w.nodes[v]; ok {
		return n
	}
	n := &warmNode{v: v}
	w.nodes[v] = n
	for _, inp := range v.Inputs() {
		iv := inp.Vertex(ctx, w.m.c)
		n.ins = append(n.ins, iv)
		if in := w.visit(ctx, iv); !in.done {
			n.pending++
			in.users = append(in.users, n)
		}
	}
	if n.pending == 0 {
		w.ready = append(w.ready, n)
	}
	return n
}

// close says no more states come: the goroutines end once they have
// marshalled those they have.
func (w *warmer) close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cond.Broadcast()
}

// work marshals ready vertices until the warmer is closed and none is
// left.
func (w *warmer) work() {
	defer w.wg.Done()
	ctx := context.Background()
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for w.next == len(w.ready) && !w.closed {
			w.cond.Wait()
		}
		if w.next == len(w.ready) {
			return
		}
		n := w.ready[w.next]
		w.next++
		w.mu.Unlock()
		n.dgst, n.dt, n.meta, n.sls, n.err = n.v.Marshal(ctx, w.m.c)
		n.meta = opMetadata(n.meta)
		w.mu.Lock()
		n.done = true
		w.record(n)
		woke := false
		for _, u := range n.users {
			if u.pending--; u.pending == 0 {
				w.ready = append(w.ready, u)
				woke = true
			}
		}
		if woke {
			w.cond.Broadcast()
		}
	}
}

// record records a marshalled vertex, whose inputs are (w.mu held), as
// op would have: not one that failed or whose inputs did, which op
// marshals again, meeting the error and reporting it.
func (w *warmer) record(n *warmNode) {
	op := &marshalled{}
	for _, iv := range n.ins {
		if in := w.m.ops[iv]; in != nil {
			op.inputs = append(op.inputs, in)
		} else {
			n.err = errNotWarmed
		}
	}
	if n.err == nil && w.m.record(n.v, op, n.dgst, n.dt, n.meta, n.sls) == nil {
		w.recorded++
	}
}

// finish waits for the warmer's goroutines to record what they have and
// returns how many vertices they recorded.
func (w *warmer) finish() int {
	w.close()
	w.wg.Wait()
	return w.recorded
}

// errNotWarmed marks a vertex whose input the warmer could not record.
var errNotWarmed = errors.New("an input was not marshalled")
