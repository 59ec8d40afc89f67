package probe

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Two probes sharing a lock directory (two builds on one daemon) never
// hold the same port, and a freed port can be held again.
func TestAllocSharedLocks(t *testing.T) {
	dir := t.TempDir()
	a, b := newPorts(dir), newPorts(dir)
	seen := map[int]bool{}
	for i := 0; i < 20; i++ {
		for _, p := range []*ports{a, b} {
			got, err := p.alloc(2)
			if err != nil {
				t.Fatal(err)
			}
			for _, port := range got {
				if seen[port] {
					t.Fatalf("port %d handed out twice", port)
				}
				if port < p.lo || port >= p.hi {
					t.Fatalf("port %d outside [%d, %d)", port, p.lo, p.hi)
				}
				seen[port] = true
			}
		}
	}
	for port := range seen {
		if ok, _ := b.lock(port); ok {
			t.Fatalf("port %d locked by both probes", port)
		}
	}
	var one int
	for port := range seen {
		one = port
		break
	}
	owner := a
	if _, ok := b.held[one]; ok {
		owner = b
	}
	other := map[*ports]*ports{a: b, b: a}[owner]
	owner.free(one)
	if ok, err := other.lock(one); !ok || err != nil {
		t.Fatalf("freed port %d not lockable: %v %v", one, ok, err)
	}
}

// hold refuses a port something listens on, waits for another build's
// hold, and taken sees a listener on a held port.
func TestHoldAndTaken(t *testing.T) {
	dir := t.TempDir()
	a, b := newPorts(dir), newPorts(dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := l.Addr().(*net.TCPAddr).Port
	if err := a.hold(busy, time.Second); err != errInUse {
		t.Fatalf("busy port: %v", err)
	}
	if got := a.taken([]int{busy}); len(got) != 1 {
		t.Fatalf("taken: %v", got)
	}
	l.Close()
	if got := a.taken([]int{busy}); len(got) != 0 {
		t.Fatalf("taken after close: %v", got)
	}
	if err := a.hold(busy, time.Second); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := b.hold(busy, 300*time.Millisecond); err != errHeld || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("second hold: %v after %s", err, time.Since(start))
	}
	go func() { time.Sleep(200 * time.Millisecond); a.free(busy) }()
	if err := b.hold(busy, 2*time.Second); err != nil {
		t.Fatalf("hold after the first's end: %v", err)
	}
}

// The checks: TCP, and HTTP answers framed by length, by chunks and by
// the connection's end.
func TestChecks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte(`{"status":`))
			w.(http.Flusher).Flush()
			w.Write([]byte(` "ok"}`))
		case "/missing":
			http.NotFound(w, r)
		default:
			w.Write([]byte("hello"))
		}
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	for path, want := range map[string]Result{
		"":         {},
		"/":        {Status: 200, Body: []byte("hello")},
		"/chunked": {Status: 200, Body: []byte(`{"status": "ok"}`)},
		"/missing": {Status: 404, Body: []byte("404 page not found\n")},
	} {
		got := Check{Port: port, Path: path}.run(time.Second)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: got %+v, want %+v", path, got, want)
		}
	}
	// Framed by the connection's end (HTTP/1.0 style).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := l.Accept()
		if err == nil {
			bufio.NewReader(c).ReadString('\n')
			c.Write([]byte("HTTP/1.0 503 Service Unavailable\r\n\r\nstarting"))
			c.Close()
		}
	}()
	got := Check{Port: l.Addr().(*net.TCPAddr).Port, Path: "/"}.run(time.Second)
	if got.Status != 503 || string(got.Body) != "starting" {
		t.Errorf("close-framed: %+v", got)
	}
	l.Close()
	closed := Check{Port: l.Addr().(*net.TCPAddr).Port}.run(time.Second)
	if want := "dial tcp 127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port) + ": connect: connection refused"; closed.Err != want {
		t.Errorf("closed port: %q, want %q", closed.Err, want)
	}
}

// Serve answers by id, and a watch reports each change until stopped.
func TestServeWatch(t *testing.T) {
	inR, inW := netPipe()
	outR, outW := netPipe()
	go Serve(inR, outW, t.TempDir())
	lines := bufio.NewScanner(outR)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	fmt.Fprintf(inW, `{"id":7,"op":"watch","checks":[{"port":%d}],"interval_ms":20}`+"\n", port)
	next := func() string {
		if !lines.Scan() {
			t.Fatal("probe output ended")
		}
		return lines.Text()
	}
	if got := next(); !strings.HasPrefix(got, `{"id":7,"results":[{"err":"dial tcp`) {
		t.Fatalf("first result: %s", got)
	}
	l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := next(); got != `{"id":7,"results":[{}]}` {
		t.Fatalf("after listen: %s", got)
	}
	fmt.Fprintln(inW, `{"id":8,"op":"stop","watch":7}`)
	got := []string{next(), next()}
	if !(got[0] == `{"id":7,"done":true}` && got[1] == `{"id":8}` || got[1] == `{"id":7,"done":true}` && got[0] == `{"id":8}`) {
		t.Fatalf("stop: %q", got)
	}
	fmt.Fprintln(inW, `{"id":9,"op":"nope"}`)
	if got := next(); got != `{"id":9,"error":"unknown op \"nope\""}` {
		t.Fatalf("unknown op: %s", got)
	}
}

func netPipe() (net.Conn, net.Conn) { return net.Pipe() }
