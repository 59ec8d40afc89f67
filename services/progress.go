package services

import (
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/identity"
	digest "github.com/opencontainers/go-digest"
)

// vertex is a progress entry of stagebuild's own, such as a service
// starting: it shows in every progress mode beside BuildKit's steps.
type vertex struct {
	mu     sync.Mutex
	ch     chan *client.SolveStatus
	v      client.Vertex
	closed bool
}

// newVertex shows a vertex named name on ch, which done closes.
func newVertex(ch chan *client.SolveStatus, name string) *vertex {
	now := time.Now()
	v := &vertex{ch: ch, v: client.Vertex{Digest: digest.FromString("stagebuild:" + identity.NewID()), Name: name, Started: &now}}
	cp := v.v
	v.send(&client.SolveStatus{Vertexes: []*client.Vertex{&cp}})
	return v
}

func (v *vertex) send(ss *client.SolveStatus) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.closed {
		v.ch <- ss
	}
}

func (v *vertex) rename(name string) {
	v.mu.Lock()
	v.v.Name = name
	cp := v.v
	v.mu.Unlock()
	v.send(&client.SolveStatus{Vertexes: []*client.Vertex{&cp}})
}

func (v *vertex) logf(data []byte) {
	v.send(&client.SolveStatus{Logs: []*client.VertexLog{{Vertex: v.v.Digest, Stream: 1, Data: data, Timestamp: time.Now()}}})
}

// done completes the vertex (failed when err is set) and closes it.
func (v *vertex) done(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	now := time.Now()
	v.v.Completed = &now
	if err != nil {
		v.v.Error = err.Error()
	}
	cp := v.v
	v.ch <- &client.SolveStatus{Vertexes: []*client.Vertex{&cp}}
	v.closed = true
	close(v.ch)
}

// vertexWriter keeps a container's output and shows it on its vertex until
// the vertex is done.
type vertexWriter struct {
	log *LogTail
	vtx *vertex
}

func (w *vertexWriter) Write(p []byte) (int, error) {
	w.log.Write(p)
	w.vtx.logf(append([]byte(nil), p...))
	return len(p), nil
}

func (w *vertexWriter) Close() error { return nil }
