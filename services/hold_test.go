package services

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"
)

// A fixed smoke port (checks.smoke.port) is refused when something already
// listens there, since the probe would reach it instead of the service; a
// free one is held, and a second hold waits for the first to end.
func TestHoldPort(t *testing.T) {
	p := &Ports{Dir: t.TempDir() + "/ports"}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := l.Addr().(*net.TCPAddr).Port
	_, _, err = p.Hold(context.Background(), busy, time.Second)
	want := "port " + strconv.Itoa(busy) + " (checks.smoke.port) is already in use on this host, so the probe could not tell the service from it: " +
		"stop what listens there, or make the service read its port from an env var and use port_env"
	if err == nil || err.Error() != want {
		t.Errorf("busy port:\n got %v\nwant %s", err, want)
	}
	if ok, why := DialTCP(context.Background(), busy); !ok {
		t.Errorf("dial of a listening port: %s", why)
	}
	l.Close()
	if ok, _ := DialTCP(context.Background(), busy); ok {
		t.Errorf("dial of a closed port succeeded")
	}
	port, release, err := p.Hold(context.Background(), busy, time.Second)
	if err != nil || port != busy {
		t.Fatalf("free port: %d %v", port, err)
	}
	_, _, err = p.Hold(context.Background(), busy, 300*time.Millisecond)
	if err == nil || err.Error() != "port "+strconv.Itoa(busy)+" stayed in use by another stagebuild smoke test for 300ms" {
		t.Errorf("second hold: %v", err)
	}
	release()
	if _, r2, err := p.Hold(context.Background(), busy, time.Second); err != nil {
		t.Errorf("after release: %v", err)
	} else {
		r2()
	}
}
