package probe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Serve answers the requests read from in on out until in ends. lockDir
// holds the port locks every build on the daemon shares ("" locks nothing
// across processes).
func Serve(in io.Reader, out io.Writer, lockDir string) error {
	s := &server{out: out, ports: newPorts(lockDir), watches: map[int]chan struct{}{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var req Request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			s.send(Response{ID: req.ID, Error: fmt.Sprintf("malformed request: %v", err)})
			continue
		}
		go s.handle(req)
	}
	s.mu.Lock()
	for _, stop := range s.watches {
		close(stop)
	}
	s.watches = nil
	s.mu.Unlock()
	return sc.Err()
}

type server struct {
	omu     sync.Mutex
	out     io.Writer
	ports   *ports
	mu      sync.Mutex
	watches map[int]chan struct{}
}

func (s *server) send(r Response) {
	b, _ := json.Marshal(r)
	s.omu.Lock()
	defer s.omu.Unlock()
	_, _ = s.out.Write(append(b, '\n'))
}

func (s *server) handle(req Request) {
	resp := Response{ID: req.ID}
	switch req.Op {
	case "alloc":
		ps, err := s.ports.alloc(req.N)
		if err != nil {
			resp.Error, resp.Code = err.Error(), CodeNoPort
		}
		resp.Ports = ps
	case "hold":
		if len(req.Ports) != 1 {
			resp.Error = "hold takes one port"
			break
		}
		err := s.ports.hold(req.Ports[0], time.Duration(req.WaitMS)*time.Millisecond)
		switch {
		case errors.Is(err, errHeld):
			resp.Error, resp.Code = err.Error(), CodeHeld
		case errors.Is(err, errInUse):
			resp.Error, resp.Code = err.Error(), CodeInUse
		case err != nil:
			resp.Error = err.Error()
		default:
			resp.Ports = req.Ports
		}
	case "free":
		for _, p := range req.Ports {
			s.ports.free(p)
		}
	case "taken":
		resp.Taken = s.ports.taken(req.Ports)
	case "watch":
		s.watch(req)
		return
	case "stop":
		s.mu.Lock()
		if stop, ok := s.watches[req.Watch]; ok {
			close(stop)
			delete(s.watches, req.Watch)
		}
		s.mu.Unlock()
	default:
		resp.Error = fmt.Sprintf("unknown op %q", req.Op)
	}
	s.send(resp)
}

// watch runs the checks every interval and answers each time their results
// change, until stopped.
func (s *server) watch(req Request) {
	stop := make(chan struct{})
	s.mu.Lock()
	if s.watches == nil { // stdin ended
		s.mu.Unlock()
		return
	}
	s.watches[req.ID] = stop
	s.mu.Unlock()
	interval := time.Duration(req.IntervalMS) * time.Millisecond
	if interval <= 0 {
		interval = 50 * time.Millisecond
	}
	var last []byte
	for {
		results := make([]Result, len(req.Checks))
		for i, c := range req.Checks {
			timeout := time.Second
			if c.Path != "" {
				timeout = 2 * time.Second
			}
			results[i] = c.run(timeout)
		}
		b, _ := json.Marshal(results)
		if !bytes.Equal(b, last) {
			last = b
			s.send(Response{ID: req.ID, Results: results})
		}
		select {
		case <-stop:
			s.send(Response{ID: req.ID, Done: true})
			return
		case <-time.After(interval):
		}
	}
}
