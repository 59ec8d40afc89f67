package probe

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ports picks and holds ports. A port is held by an flock on
// Dir/PORT.lock; Dir is shared by every build on the daemon, and the lock
// goes when the probe ends, so a build that dies frees its ports.
type ports struct {
	dir string
	mu  sync.Mutex
	// held are the lock files of the ports this probe holds.
	held map[int]*os.File
	// lo and hi bound the ports alloc picks: below the kernel's ephemeral
	// range, so that no outgoing connection or bind(:0) of another process
	// takes one between its pick and the service's bind.
	lo, hi int
}

func newPorts(dir string) *ports {
	p := &ports{dir: dir, held: map[int]*os.File{}, lo: 15000, hi: 32768}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 1024 {
				p.hi = n
			}
		}
	}
	if p.hi-p.lo < 1000 { // an unusual ephemeral range: take any
		p.lo, p.hi = 1024, 65536
	}
	return p
}

// lock takes port's lock file without waiting; ok is false when another
// build holds it.
func (p *ports) lock(port int) (ok bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held[port] != nil {
		return false, nil
	}
	if p.dir == "" {
		p.held[port] = nil
		return true, nil
	}
	f, err := os.OpenFile(filepath.Join(p.dir, strconv.Itoa(port)+".lock"), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return false, err
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		f.Close()
		return false, nil
	}
	p.held[port] = f
	return true, nil
}

func (p *ports) free(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.held[port]; ok {
		if f != nil {
			f.Close()
		}
		delete(p.held, port)
	}
}

// bindable reports whether port of 127.0.0.1 can be bound: nothing listens
// there.
func bindable(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// alloc picks n free ports and holds them.
func (p *ports) alloc(n int) ([]int, error) {
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries == 200 {
			for _, port := range out {
				p.free(port)
			}
			return nil, fmt.Errorf("no free port found in %d tries between %d and %d", tries, p.lo, p.hi-1)
		}
		port := p.lo + rand.IntN(p.hi-p.lo)
		ok, err := p.lock(port)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if !bindable(port) {
			p.free(port)
			continue
		}
		out = append(out, port)
	}
	return out, nil
}

// errHeld and errInUse are hold's failures.
var (
	errHeld  = fmt.Errorf("held by another build")
	errInUse = fmt.Errorf("in use")
)

// hold holds a fixed port, waiting up to wait for another build's hold to
// end, and fails when something that is not a build listens there.
func (p *ports) hold(port int, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		ok, err := p.lock(port)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return errHeld
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !bindable(port) {
		p.free(port)
		return errInUse
	}
	return nil
}

// taken lists those of ps (held by this probe) that something now
// listens on: after a service exited before it was ready, a port it should
// have had is someone else's (a clash), and a retry gets new ports.
func (p *ports) taken(ps []int) []int {
	var out []int
	for _, port := range ps {
		if !bindable(port) {
			out = append(out, port)
		}
	}
	return out
}
