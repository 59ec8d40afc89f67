package probe

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxBody is how much of an HTTP body a check keeps.
const maxBody = 1 << 20

// run runs one check once, with timeout.
func (c Check) run(timeout time.Duration) Result {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port))
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return Result{Err: err.Error()}
	}
	defer conn.Close()
	if c.Path == "" {
		return Result{}
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	req := "GET " + c.Path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: stagebuild-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return Result{Err: err.Error()}
	}
	status, body, err := readResponse(bufio.NewReader(conn))
	if err != nil {
		return Result{Err: err.Error()}
	}
	return Result{Status: status, Body: body}
}

// readResponse reads an HTTP/1.x response: its status and its body (a
// Content-Length, chunked, or up to the connection's close).
func readResponse(r *bufio.Reader) (int, []byte, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, nil, fmt.Errorf("reading the status line: %w", err)
	}
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return 0, nil, fmt.Errorf("malformed HTTP response %q", strings.TrimSpace(line))
	}
	status, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, nil, fmt.Errorf("malformed HTTP status %q", f[1])
	}
	length, chunked := -1, false
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return 0, nil, fmt.Errorf("reading the headers: %w", err)
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		k, v, _ := strings.Cut(h, ":")
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "content-length":
			length, _ = strconv.Atoi(v)
		case "transfer-encoding":
			chunked = strings.Contains(strings.ToLower(v), "chunked")
		}
	}
	var body bytes.Buffer
	switch {
	case chunked:
		err = readChunked(r, &body)
	case length >= 0:
		_, err = io.CopyN(&body, r, int64(min(length, maxBody)))
	default:
		_, err = io.Copy(&body, io.LimitReader(r, maxBody))
	}
	if err != nil {
		return 0, nil, fmt.Errorf("reading the body: %w", err)
	}
	return status, body.Bytes(), nil
}

// readChunked decodes a chunked body into w, up to maxBody.
func readChunked(r *bufio.Reader, w *bytes.Buffer) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		size, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("malformed chunk size %q", size)
		}
		if n == 0 {
			return nil
		}
		keep := min(n, int64(maxBody-w.Len()))
		if _, err := io.CopyN(w, r, keep); err != nil {
			return err
		}
		if n > keep { // past maxBody: the rest is not needed
			return nil
		}
		if _, err := r.Discard(2); err != nil { // the chunk's CRLF
			return err
		}
	}
}
