package services

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/verify"
)

// ProbeHTTP GETs c.HTTPPath on port of 127.0.0.1 once and judges the answer
// (verify.HTTPOK). When not ok, why says what was wrong.
func ProbeHTTP(ctx context.Context, port int, c *plan.SmokeCheck) (ok bool, why string) {
	url := fmt.Sprintf("http://%s:%d%s", plan.ServiceHost, port, c.HTTPPath)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Sprintf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	ok, why = verify.HTTPOK(c, resp.StatusCode, body)
	if !ok {
		why = fmt.Sprintf("GET %s: %s", url, why)
	}
	return ok, why
}

// LogTail collects a container's output (the last few MiB of it).
type LogTail struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 4<<20 {
		b := append([]byte(nil), l.buf.Bytes()[l.buf.Len()-(1<<20):]...)
		l.buf.Reset()
		l.buf.Write(b)
	}
	return l.buf.Write(p)
}

// Close does nothing: a LogTail is a process's stdout and stderr.
func (l *LogTail) Close() error { return nil }

// Bytes is a copy of the output so far.
func (l *LogTail) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.buf.Bytes()...)
}

// Tail is the last n lines of the output.
func (l *LogTail) Tail(n int) []string {
	lines := strings.Split(strings.TrimRight(string(l.Bytes()), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// DialTCP reports whether port of 127.0.0.1 accepts a TCP connection.
func DialTCP(ctx context.Context, port int) (ok bool, why string) {
	addr := fmt.Sprintf("%s:%d", plan.ServiceHost, port)
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, fmt.Sprintf("connecting to %s: %v", addr, err)
	}
	conn.Close()
	return true, ""
}
