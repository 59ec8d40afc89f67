package integration

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// connectProxy is a forwarding HTTP proxy on 127.0.0.1 that tunnels CONNECT
// requests and counts them.
type connectProxy struct {
	addr     string
	connects atomic.Int64
}

func startProxy(t *testing.T) *connectProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); p.serve(c) }()
		}
	}()
	return p
}

func (p *connectProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	p.connects.Add(1)
	up, err := net.DialTimeout("tcp", req.Host, 30*time.Second)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{})
	go func() { io.Copy(up, br); up.(*net.TCPConn).CloseWrite(); close(done) }()
	io.Copy(c, up)
	<-done
}

const proxyPipeline = `version: 1
stages:
  deps:
    from: python:3.11-slim-bookworm
    workdir: /app
    env: {PIP_DISABLE_PIP_VERSION_CHECK: "1", PYTHONDONTWRITEBYTECODE: "1"}
    copy: [requirements.txt]
    run: pip install --no-cache-dir -r requirements.txt
  service:
    from: deps
    cmd: [python, -c, "import six"]
`

const proxyStep = "[deps 2/2] RUN pip install"

// HTTPS_PROXY from the environment reaches the steps, which use it; a new
// proxy value reruns nothing, and no image carries it. A --build-arg
// HTTPS_PROXY does the same.
func TestProxyFromEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), proxyPipeline)
	writeFile(t, filepath.Join(dir, "requirements.txt"), "six==1.16.0\n# "+randomID()+"\n")
	a, b := startProxy(t), startProxy(t)
	build := func(env []string, args ...string) map[string]*vertex {
		args = append([]string{"build", "--progress", "rawjson", "-o", "type=oci,dest=svc.tar"}, args...)
		r := stagebuildEnv(t, dir, env, args...).mustSucceed(t)
		return parseRawJSON(t, r.stderr)
	}

	vs := build([]string{"HTTPS_PROXY=http://" + a.addr, "NO_PROXY="})
	if v := find(t, vs, proxyStep); v.Cached {
		t.Fatalf("%s was cached on its first build", v.Name)
	}
	if n := a.connects.Load(); n == 0 {
		t.Fatal("pip did not go through HTTPS_PROXY: no CONNECT")
	}
	assertNoProxy(t, filepath.Join(dir, "svc.tar"), a.addr)

	// Another proxy: the install stays cached.
	vs = build([]string{"https_proxy=http://" + b.addr, "NO_PROXY="})
	if v := find(t, vs, proxyStep); !v.Cached {
		t.Errorf("%s ran again when only the proxy changed", v.Name)
	}

	// A --build-arg proxy reaches a step that runs.
	appendFile(t, filepath.Join(dir, "requirements.txt"), "# "+randomID()+"\n")
	before := b.connects.Load()
	vs = build([]string{"NO_PROXY="}, "--build-arg", "HTTPS_PROXY=http://"+b.addr)
	if v := find(t, vs, proxyStep); v.Cached {
		t.Fatalf("%s was cached after a requirements change", v.Name)
	}
	if b.connects.Load() == before {
		t.Error("pip did not go through the --build-arg HTTPS_PROXY")
	}
	assertNoProxy(t, filepath.Join(dir, "svc.tar"), b.addr)
}

// assertNoProxy fails when the image config or history, or a layer, names
// a proxy.
func assertNoProxy(t *testing.T, file, addr string) {
	t.Helper()
	img := readOCIImage(t, file)
	if cfg := strings.ToLower(string(img.config)); strings.Contains(cfg, "proxy") || strings.Contains(cfg, addr) {
		t.Errorf("the image config names the proxy:\n%s", img.config)
	}
	if img.layersContain([]byte(addr)) {
		t.Errorf("a layer contains the proxy address %s", addr)
	}
}
