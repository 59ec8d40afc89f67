package testenv

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// relayAll relays every connection l accepts to a connection dial makes,
// until l is closed.
func relayAll(l net.Listener, dial func() (net.Conn, error)) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			up, err := dial()
			if err != nil {
				c.Close()
				return
			}
			relay(c, up)
		}()
	}
}

// relay copies both ways until both sides are done.
func relay(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	half := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	go half(a, b)
	go half(b, a)
	wg.Wait()
	a.Close()
	b.Close()
}

// serveProxy is the host-side end of a namespaced daemon's HTTP proxy:
// CONNECT host:443 tunnels (pip's HTTPS) and plain HTTP requests (apt's
// Debian mirror), dialled from the host. It is reached only through the
// namespace's forwarder.
func serveProxy(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go proxyConn(c)
	}
}

var proxyTransport = &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}

func proxyConn(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if req.Method == http.MethodConnect {
			host, port, err := net.SplitHostPort(req.Host)
			if err != nil || port != "443" || isLoopback(host) {
				io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
				return
			}
			up, err := net.DialTimeout("tcp", req.Host, 10*time.Second)
			if err != nil {
				io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
				return
			}
			io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			if n := br.Buffered(); n > 0 { // bytes the client sent early
				b, _ := br.Peek(n)
				up.Write(b)
			}
			relay(c, up)
			return
		}
		if req.URL.Scheme != "http" || isLoopback(req.URL.Hostname()) {
			io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			return
		}
		req.RequestURI = ""
		resp, err := proxyTransport.RoundTrip(req)
		if err != nil {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			return
		}
		err = resp.Write(c)
		resp.Body.Close()
		if err != nil || req.Close || resp.Close {
			return
		}
	}
}

// isLoopback refuses to proxy to the host's loopback: the namespace's
// steps must not reach the client's services through the proxy.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
