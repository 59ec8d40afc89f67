package services

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stagebuild/stagebuild/internal/probe"
	"github.com/stagebuild/stagebuild/plan"
)

// startLocalProbe runs the probe in-process, as the daemon's container
// would, sharing lockDir.
func startLocalProbe(t *testing.T, lockDir string) *Probe {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	go func() { outW.CloseWithError(probe.Serve(inR, outW, lockDir)) }()
	p := NewProbe(inW, outR)
	t.Cleanup(func() { p.Close() })
	return p
}

// A fixed smoke port is refused when something else listens there, and
// waits for another build's hold; the errors say what to do.
func TestProbeHold(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := startLocalProbe(t, dir), startLocalProbe(t, dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := l.Addr().(*net.TCPAddr).Port
	want := "port " + strconv.Itoa(busy) + " (checks.smoke.port) is already in use on the daemon's host, so the probe could not tell the service from it: " +
		"stop what listens there, or make the service read its port from an env var and use port_env"
	if err := a.Hold(ctx, busy, time.Second); err == nil || err.Error() != want {
		t.Errorf("busy port:\n got %v\nwant %s", err, want)
	}
	l.Close()
	if err := a.Hold(ctx, busy, time.Second); err != nil {
		t.Fatal(err)
	}
	want = "port " + strconv.Itoa(busy) + " stayed in use by another stagebuild smoke test for 300ms"
	if err := b.Hold(ctx, busy, 300*time.Millisecond); err == nil || err.Error() != want {
		t.Errorf("second hold:\n got %v\nwant %s", err, want)
	}
	a.Free(busy)
	if err := b.Hold(ctx, busy, time.Second); err != nil {
		t.Errorf("after free: %v", err)
	}
	ports, err := a.Alloc(ctx, 3)
	if err != nil || len(ports) != 3 {
		t.Fatalf("alloc: %v %v", ports, err)
	}
	a.Close()
	want = "allocating a port on the daemon: the probe on the daemon ended: EOF"
	if _, err := a.Alloc(ctx, 1); err == nil || err.Error() != want {
		t.Errorf("after close:\n got %v\nwant %s", err, want)
	}
}

// A watch's results reach Judge: readiness holds once the service
// answers as expected, and the reasons before that are exact.
func TestProbeWatchJudge(t *testing.T) {
	p := startLocalProbe(t, t.TempDir())
	ready := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ready:
			w.Write([]byte(`{"status": "ok"}`))
		default:
			w.WriteHeader(503)
		}
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	body, _ := plan.NewPattern(`"status": ?"ok"`)
	checks := []NetCheck{{Port: port, Name: "http"}, {Port: port, HTTP: &plan.SmokeCheck{HTTPPath: "/health", HTTPBody: body}}}
	w, err := p.Watch(ProbeChecks(checks), 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if ok, why := Judge(checks, nil); ok || why != "no answer from the probe yet" {
		t.Errorf("before results: %v %q", ok, why)
	}
	wait := func(want string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			ok, why := Judge(checks, w.Results())
			if (want == "" && ok) || why == want {
				return
			}
			select {
			case <-w.Changed():
			case <-deadline:
				t.Fatalf("got %v %q, want %q", ok, why, want)
			}
		}
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	wait("port http (" + addr + ") accepts no connection: dial tcp " + addr + ": connect: connection refused")
	srv.Listener.Close()
	if srv.Listener, err = net.Listen("tcp", addr); err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Close()
	wait("GET http://" + addr + "/health: GET /health answered 503, expected 200")
	close(ready)
	wait("")
}
