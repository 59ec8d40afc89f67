package services

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/stagebuild/stagebuild/internal/probe"
)

// Probe is the client of a stagebuild-probe process (package probe) that
// runs on the daemon's network: it picks the services' and smoke checks'
// ports there and runs their TCP and HTTP checks there, so stagebuild
// never dials a service's port itself (the daemon may be in another
// network namespace, or on another machine).
type Probe struct {
	in     io.WriteCloser
	stderr *LogTail
	mu     sync.Mutex
	next   int
	calls  map[int]chan probe.Response
	dead   chan struct{} // closed when the probe's stdout ends
	err    error         // why it ended
}

// NewProbe talks to a probe that reads in and writes out.
func NewProbe(in io.WriteCloser, out io.Reader) *Probe {
	p := &Probe{in: in, stderr: &LogTail{}, calls: map[int]chan probe.Response{}, dead: make(chan struct{})}
	go p.read(out)
	return p
}

// StartProbe starts the probe program (args) in ctr, which the caller
// releases after Close.
func StartProbe(ctx context.Context, ctr gateway.Container, args []string) (*Probe, error) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := NewProbe(inW, outR)
	proc, err := ctr.Start(ctx, gateway.StartRequest{Args: args, Stdin: inR, Stdout: outW, Stderr: p.stderr})
	if err != nil {
		inW.Close()
		outW.Close()
		return nil, fmt.Errorf("starting the probe: %w", err)
	}
	go func() {
		err := proc.Wait()
		if err == nil {
			err = errors.New("it exited")
		}
		outW.CloseWithError(err)
	}()
	return p, nil
}

func (p *Probe) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var r probe.Response
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		p.mu.Lock()
		ch := p.calls[r.ID]
		p.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
	err := sc.Err()
	if err == nil {
		err = io.EOF
	}
	if lines := p.stderr.Tail(3); len(lines) > 0 {
		err = fmt.Errorf("%w: %s", err, strings.Join(lines, "; "))
	}
	p.mu.Lock()
	p.err = fmt.Errorf("the probe on the daemon ended: %w", err)
	p.mu.Unlock()
	close(p.dead)
}

// send writes req (its ID set here) and returns the channel of its
// answers; done forgets it.
func (p *Probe) send(req probe.Request, buffer int) (id int, ch chan probe.Response, done func(), err error) {
	p.mu.Lock()
	p.next++
	req.ID = p.next
	id = req.ID
	ch = make(chan probe.Response, buffer)
	p.calls[req.ID] = ch
	p.mu.Unlock()
	done = func() {
		p.mu.Lock()
		delete(p.calls, req.ID)
		p.mu.Unlock()
	}
	b, _ := json.Marshal(req)
	p.mu.Lock()
	_, err = p.in.Write(append(b, '\n'))
	p.mu.Unlock()
	if err != nil {
		done()
		return 0, nil, nil, p.ended(err)
	}
	return id, ch, done, nil
}

// ended is why a request could not be sent: the probe's end, once its
// output is seen to end.
func (p *Probe) ended(err error) error {
	select {
	case <-p.dead:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.err
	case <-time.After(time.Second):
		return fmt.Errorf("talking to the probe on the daemon: %w", err)
	}
}

// call sends req and waits for its one answer.
func (p *Probe) call(ctx context.Context, req probe.Request) (probe.Response, error) {
	_, ch, done, err := p.send(req, 1)
	if err != nil {
		return probe.Response{}, err
	}
	defer done()
	select {
	case r := <-ch:
		return r, nil
	case <-p.dead:
		return probe.Response{}, p.ended(nil)
	case <-ctx.Done():
		return probe.Response{}, ctx.Err()
	}
}

// Alloc picks n free ports on the daemon's loopback and holds them (no
// other build on the daemon gets them) until Free.
func (p *Probe) Alloc(ctx context.Context, n int) ([]int, error) {
	if n == 0 {
		return nil, nil
	}
	r, err := p.call(ctx, probe.Request{Op: "alloc", N: n})
	if err == nil && r.Error != "" {
		err = errors.New(r.Error)
	}
	if err != nil {
		return nil, fmt.Errorf("allocating a port on the daemon: %w", err)
	}
	return r.Ports, nil
}

// Hold takes a fixed port (checks.smoke.port), waiting up to wait for
// another build's hold of it to end, and fails when something else already
// listens there: a probe would reach it, not the service.
func (p *Probe) Hold(ctx context.Context, port int, wait time.Duration) error {
	r, err := p.call(ctx, probe.Request{Op: "hold", Ports: []int{port}, WaitMS: int(wait / time.Millisecond)})
	switch {
	case err != nil:
		return fmt.Errorf("holding port %d: %w", port, err)
	case r.Code == probe.CodeHeld:
		return fmt.Errorf("port %d stayed in use by another stagebuild smoke test for %s", port, wait)
	case r.Code == probe.CodeInUse:
		return fmt.Errorf("port %d (checks.smoke.port) is already in use on the daemon's host, so the probe could not tell the service from it: stop what listens there, or make the service read its port from an env var and use port_env", port)
	case r.Error != "":
		return fmt.Errorf("holding port %d: %s", port, r.Error)
	}
	return nil
}

// Free gives up ports that Alloc or Hold took.
func (p *Probe) Free(ports ...int) {
	if len(ports) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = p.call(ctx, probe.Request{Op: "free", Ports: ports})
}

// Taken lists those of ports (held by this probe) that something listens
// on now.
func (p *Probe) Taken(ctx context.Context, ports ...int) ([]int, error) {
	r, err := p.call(ctx, probe.Request{Op: "taken", Ports: ports})
	if err != nil {
		return nil, err
	}
	return r.Taken, nil
}

// Done is closed when the probe has ended; Err then says why.
func (p *Probe) Done() <-chan struct{} { return p.dead }

// Err is why the probe ended, nil while it runs.
func (p *Probe) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Close ends the probe: its ports are freed and its watches stop.
func (p *Probe) Close() error { return p.in.Close() }

// Watch is a running watch of network checks on the daemon's side.
type Watch struct {
	mu      sync.Mutex
	results []probe.Result
	changed chan struct{}
	stop    func()
}

// Watch runs checks on the daemon every interval until Stop, keeping the
// latest results.
func (p *Probe) Watch(checks []probe.Check, interval time.Duration) (*Watch, error) {
	w := &Watch{changed: make(chan struct{}, 1)}
	if len(checks) == 0 {
		w.stop = func() {}
		return w, nil
	}
	id, ch, done, err := p.send(probe.Request{Op: "watch", Checks: checks, IntervalMS: int(interval / time.Millisecond)}, 16)
	if err != nil {
		return nil, err
	}
	quit := make(chan struct{})
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			close(quit)
			done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = p.call(ctx, probe.Request{Op: "stop", Watch: id})
		})
	}
	go func() {
		for {
			select {
			case r := <-ch:
				if r.Error != "" || r.Done {
					return
				}
				w.mu.Lock()
				w.results = r.Results
				w.mu.Unlock()
				select {
				case w.changed <- struct{}{}:
				default:
				}
			case <-quit:
				return
			case <-p.dead:
				return
			}
		}
	}()
	return w, nil
}

// Results are the latest results, nil before the first.
func (w *Watch) Results() []probe.Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.results
}

// Changed receives when the results change.
func (w *Watch) Changed() <-chan struct{} { return w.changed }

// Stop ends the watch.
func (w *Watch) Stop() { w.stop() }
