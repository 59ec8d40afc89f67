package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	// Connection helpers for docker-container://, kube-pod://,
	// podman-container:// and nerdctl-container:// addresses, as buildctl.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/nerdctlcontainer"
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
)

// TLS is how to reach a daemon over tcp:// with TLS, with buildctl's names.
type TLS struct {
	CACert     string // --tlscacert
	Cert       string // --tlscert
	Key        string // --tlskey
	ServerName string // --tlsservername
}

func (t TLS) set() bool { return t.CACert != "" || t.Cert != "" || t.Key != "" || t.ServerName != "" }

// FlagError is a bad connection flag; it names the flag and the fix.
type FlagError struct{ Msg string }

func (e *FlagError) Error() string { return e.Msg }

// Options say which daemon to reach.
type Options struct {
	// Addr is --addr; empty means $BUILDKIT_HOST, else the local daemon.
	Addr string
	TLS  TLS
}

// ConnectWith is Connect with TLS settings. They only apply to a remote
// address; with none given, the local daemon is used and TLS flags are an
// error.
func ConnectWith(ctx context.Context, o Options, log io.Writer) (*client.Client, string, error) {
	addr := o.Addr
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	if addr == "" {
		if o.TLS.set() {
			return nil, "", &FlagError{"--tlscacert/--tlscert/--tlskey/--tlsservername need a remote daemon: add --addr tcp://HOST:PORT (or set BUILDKIT_HOST)"}
		}
		return Connect(ctx, "", log)
	}
	opts, err := o.TLS.clientOpts(addr)
	if err != nil {
		return nil, addr, err
	}
	c, err := dial(ctx, addr, 10*time.Second, opts...)
	if err != nil {
		return nil, addr, err
	}
	return c, addr, nil
}

func (t TLS) clientOpts(addr string) ([]client.ClientOpt, error) {
	if !t.set() {
		return nil, nil
	}
	if !strings.HasPrefix(addr, "tcp://") {
		return nil, &FlagError{fmt.Sprintf("TLS flags apply to tcp:// addresses, not %s (drop them, or use --addr tcp://HOST:PORT)", addr)}
	}
	for _, f := range []struct{ flag, path string }{{"--tlscacert", t.CACert}, {"--tlscert", t.Cert}, {"--tlskey", t.Key}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return nil, &FlagError{fmt.Sprintf("%s %s: %v (give the path of a PEM file)", f.flag, f.path, unwrapPath(err))}
		}
	}
	if (t.Cert == "") != (t.Key == "") {
		return nil, &FlagError{"--tlscert and --tlskey go together: give both, or neither"}
	}
	var opts []client.ClientOpt
	if t.CACert != "" {
		opts = append(opts, client.WithServerConfig(t.ServerName, t.CACert))
	} else {
		opts = append(opts, client.WithServerConfigSystem(t.ServerName))
	}
	if t.Cert != "" {
		opts = append(opts, client.WithCredentials(t.Cert, t.Key))
	}
	return opts, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
