package daemon

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
)

// ConnectError means the daemon at Addr did not answer.
type ConnectError struct {
	Addr string
	Err  error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot reach buildkitd at %s: %s (is it running? check --addr/BUILDKIT_HOST, or unset both to use the local daemon)",
		e.Addr, firstLine(e.Err.Error()))
}

func (e *ConnectError) Unwrap() error { return e.Err }

// Connect returns a client for addr, else for $BUILDKIT_HOST, else for the
// local daemon, started on demand.
func Connect(ctx context.Context, addr string, log io.Writer) (*client.Client, string, error) {
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	if addr == "" {
		local, err := EnsureLocal(ctx, log)
		if err != nil {
			return nil, "", err
		}
		addr = local
	}
	c, err := dial(ctx, addr, 10*time.Second)
	if err != nil {
		return nil, addr, err
	}
	return c, addr, nil
}

// dial returns a client for addr once the daemon there has answered.
func dial(ctx context.Context, addr string, timeout time.Duration, opts ...client.ClientOpt) (*client.Client, error) {
	c, err := client.New(ctx, addr, opts...)
	if err != nil {
		return nil, &ConnectError{Addr: addr, Err: err}
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := c.ListWorkers(pctx); err != nil {
		c.Close()
		return nil, &ConnectError{Addr: addr, Err: err}
	}
	return c, nil
}

// ping checks that a daemon answers at addr within timeout.
func ping(ctx context.Context, addr string, timeout time.Duration) error {
	c, err := dial(ctx, addr, timeout)
	if err != nil {
		return err
	}
	return c.Close()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
