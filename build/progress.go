package build

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"
)

// ProgressModes returns the --progress modes, as buildx names them.
func ProgressModes() []string { return []string{"auto", "plain", "tty", "rawjson", "quiet"} }

const logTailLines = 40

// logRecorder keeps the last lines each vertex printed.
type logRecorder struct {
	mu      sync.Mutex
	partial map[digest.Digest]string
	lines   map[digest.Digest][]string
}

func newLogRecorder() *logRecorder {
	return &logRecorder{partial: map[digest.Digest]string{}, lines: map[digest.Digest][]string{}}
}

func (r *logRecorder) record(ss *client.SolveStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range ss.Logs {
		text := r.partial[l.Vertex] + string(l.Data)
		parts := strings.Split(text, "\n")
		r.partial[l.Vertex] = parts[len(parts)-1]
		lines := append(r.lines[l.Vertex], parts[:len(parts)-1]...)
		if len(lines) > logTailLines {
			lines = lines[len(lines)-logTailLines:]
		}
		r.lines[l.Vertex] = lines
	}
}

func (r *logRecorder) tail(d digest.Digest) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]string(nil), r.lines[d]...)
	if p := r.partial[d]; p != "" {
		out = append(out, p)
	}
	if len(out) > logTailLines {
		out = out[len(out)-logTailLines:]
	}
	return out
}

// progress fans several solves' status channels into one display.
type progress struct {
	display progressui.Display
	merged  chan *client.SolveStatus
	logs    *logRecorder
	wg      sync.WaitGroup
	done    chan error
}

func startProgress(ctx context.Context, out io.Writer, mode string) (*progress, error) {
	d, err := progressui.NewDisplay(out, progressui.DisplayMode(mode))
	if err != nil {
		return nil, err
	}
	p := &progress{display: d, merged: make(chan *client.SolveStatus), logs: newLogRecorder(), done: make(chan error, 1)}
	go func() {
		// The display must drain until the channel closes, even after ctx
		// ends, or senders would block.
		_, err := d.UpdateFrom(context.WithoutCancel(ctx), p.merged)
		p.done <- err
	}()
	return p, nil
}

// channel returns a status channel for one solve.
func (p *progress) channel() chan *client.SolveStatus {
	ch := make(chan *client.SolveStatus)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for ss := range ch {
			p.logs.record(ss)
			p.merged <- ss
		}
	}()
	return ch
}

// wait closes the display once every solve's channel is closed.
func (p *progress) wait() error {
	p.wg.Wait()
	close(p.merged)
	return <-p.done
}
