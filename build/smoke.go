package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/verify"
)

const smokeLogLines = 30

// smokeTest starts the image's own entrypoint in a container on the daemon's
// host network, with a port allocated for this run passed in through
// PortEnv, and waits until the log and/or HTTP expectation is met.
func smokeTest(ctx context.Context, gw gateway.Client, ref gateway.Reference, cfg ocispecs.ImageConfig,
	c *plan.SmokeCheck) ([]verify.Failure, error) {
	fail := func(msg string, log *logTail) ([]verify.Failure, error) {
		if log != nil {
			if lines := log.tail(smokeLogLines); len(lines) > 0 {
				msg += "; last log lines:\n" + strings.Join(lines, "\n")
			} else {
				msg += "; the container printed nothing"
			}
		}
		return []verify.Failure{{Check: "smoke", Message: msg, Source: c.Source}}, nil
	}
	args := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if len(args) == 0 {
		return fail("the image has no entrypoint or cmd to start", nil)
	}
	env := append([]string{}, cfg.Env...)
	for _, e := range c.Env {
		env = append(env, e.Key+"="+e.Value)
	}
	port, release, err := allocatePort()
	if err != nil {
		return nil, err
	}
	defer release()
	if c.PortEnv != "" {
		env = append(env, c.PortEnv+"="+strconv.Itoa(port))
	}
	ctr, err := gw.NewContainer(ctx, gateway.NewContainerRequest{
		Mounts: []gateway.Mount{{Dest: "/", Ref: ref, MountType: pb.MountType_BIND}},
	})
	if err != nil {
		return nil, fmt.Errorf("smoke test: starting a container: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = ctr.Release(rctx)
	}()
	log := &logTail{}
	proc, err := ctr.Start(ctx, gateway.StartRequest{
		Args: args, Env: env, Cwd: cfg.WorkingDir, User: cfg.User, Stdout: log, Stderr: log,
	})
	if err != nil {
		return fail(fmt.Sprintf("starting %q: %v", strings.Join(args, " "), err), log)
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	deadline := time.NewTimer(c.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	why := "not ready yet"
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-exited:
			return fail(fmt.Sprintf("%q exited before it was ready (%v)", strings.Join(args, " "), err), log)
		case <-deadline.C:
			return fail(fmt.Sprintf("not ready within %s: %s", c.Timeout, why), log)
		case <-tick.C:
		}
		ready := true
		if !c.Log.IsZero() && !c.Log.Match(log.bytes()) {
			ready, why = false, fmt.Sprintf("no log line matched %q", c.Log)
		}
		if ready && c.HTTPPath != "" {
			var ok bool
			ok, why = probe(ctx, port, c)
			ready = ok
		}
		if ready {
			_ = proc.Signal(ctx, syscall.SIGTERM)
			return nil, nil
		}
	}
}

func probe(ctx context.Context, port int, c *plan.SmokeCheck) (bool, string) {
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, c.HTTPPath)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Sprintf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	ok, why := verify.HTTPOK(c, resp.StatusCode, body)
	if !ok {
		why = fmt.Sprintf("GET %s: %s", url, why)
	}
	return ok, why
}

// allocatePort picks a free port on 127.0.0.1 and holds a lock on it until
// release, so parallel stagebuild processes never hand out the same port.
func allocatePort() (int, func(), error) {
	dir := filepath.Join(os.TempDir(), "stagebuild-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return 0, nil, fmt.Errorf("smoke test: %w", err)
	}
	for attempt := 0; attempt < 50; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, nil, fmt.Errorf("smoke test: allocating a port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			return 0, nil, fmt.Errorf("smoke test: %w", err)
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close()
			continue
		}
		return port, func() { f.Close() }, nil
	}
	return 0, nil, fmt.Errorf("smoke test: no free port found")
}

// logTail collects a container's output.
type logTail struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 4<<20 {
		b := append([]byte(nil), l.buf.Bytes()[l.buf.Len()-(1<<20):]...)
		l.buf.Reset()
		l.buf.Write(b)
	}
	return l.buf.Write(p)
}

func (l *logTail) Close() error { return nil }

func (l *logTail) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.buf.Bytes()...)
}

func (l *logTail) tail(n int) []string { return tailLines(string(l.bytes()), n) }
