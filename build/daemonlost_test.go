package build

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A daemon killed mid-build (kill -9) reaches the client as gRPC
// Unavailable; the error says so, and what to do, on one line.
func TestDaemonLost(t *testing.T) {
	lost := fmt.Errorf("solving service: %w", status.Error(codes.Unavailable, "error reading from server: EOF"))
	err := daemonLost(lost)
	var dl *DaemonLostError
	if !errors.As(err, &dl) {
		t.Fatalf("daemonLost(%v) = %v", lost, err)
	}
	want := "the BuildKit daemon stopped answering during the build (solving service: rpc error: code = Unavailable desc = error reading from server: EOF); " +
		"nothing was exported: check it (stagebuild daemon status, and its log) and build again"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	other := errors.New("exit code: 1")
	if daemonLost(other) != other || daemonLost(nil) != nil {
		t.Error("another error was wrapped")
	}
}
