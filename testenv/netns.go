package testenv

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stagebuild/stagebuild/internal/detach"
)

// NSProxyPort is where a namespaced daemon's steps find their HTTP(S)
// proxy: 127.0.0.1 of the namespace, a port no one else there uses.
const NSProxyPort = 3128

// NSDaemon is a buildkitd in a network namespace of its own (unshare -n,
// loopback up), reached over its unix socket, as a client reaches a
// docker-container:// or kube-pod:// daemon: its steps and gateway
// containers live on the namespace's loopback, not the client's. Inside
// the namespace, 127.0.0.1:5100 (the registry mirror) and
// 127.0.0.1:NSProxyPort (an HTTP proxy with CONNECT, for pip and apt)
// relay to unix sockets whose host-side ends connect to the real
// addresses. Both namespaces are this machine's.
type NSDaemon struct {
	Dir  string // its state: root, socket, log (separate from the local daemon's)
	Addr string // unix://Dir/buildkitd.sock
	// Env is what a stagebuild invocation against it needs: BUILDKIT_HOST
	// and the proxy env (NO_PROXY keeps loopback, the services, direct).
	Env []string
	// Pid is buildkitd's pid, the namespace's first process.
	Pid int

	cmd     *exec.Cmd
	exited  chan struct{}
	closers []io.Closer
	unlock  func()
}

// StartNSDaemon starts a buildkitd in a new network namespace, its state
// in dir (locked while it runs: one such daemon per dir), with e's
// buildkitd config (docker.io through the mirror on 127.0.0.1:5100).
// Stop ends it and everything it started.
func StartNSDaemon(ctx context.Context, e *Env, dir string) (d *NSDaemon, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	unlock, err := lockFile(filepath.Join(dir, "nsd.lock"), io.Discard)
	if err != nil {
		return nil, err
	}
	d = &NSDaemon{Dir: dir, Addr: "unix://" + filepath.Join(dir, "buildkitd.sock"), unlock: unlock, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			d.Stop()
		}
	}()
	// The host-side ends: unix sockets that connect to the real addresses.
	regSock, proxySock := filepath.Join(dir, "registry.sock"), filepath.Join(dir, "proxy.sock")
	for _, s := range []string{regSock, proxySock, filepath.Join(dir, "buildkitd.sock")} {
		_ = os.Remove(s)
	}
	regL, err := net.Listen("unix", regSock)
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, regL)
	go relayAll(regL, func() (net.Conn, error) { return net.DialTimeout("tcp", e.RegistryAddr, 5*time.Second) })
	proxyL, err := net.Listen("unix", proxySock)
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, proxyL)
	go serveProxy(proxyL)

	logf, err := os.OpenFile(filepath.Join(dir, "buildkitd.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	// unshare execs sh, which brings the loopback up and execs buildkitd:
	// one process, the namespace's first.
	d.cmd = exec.Command("unshare", "-n", "--", "/bin/sh", "-c", `ip link set lo up && exec "$@"`, "sh",
		e.BuildkitdBin, "--oci-worker=true", "--containerd-worker=false",
		"--root", filepath.Join(dir, "root"), "--addr", d.Addr, "--config", e.BuildkitdConfig)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	// The daemon's own fetches (a pipeline's url: copies, BuildKit's http
	// source, which reads the proxy env) go through the namespace's proxy,
	// as its steps' do; its registry pulls go to the relayed mirror.
	d.cmd.Env = append(withoutProxy(os.Environ()), nsProxyEnv()...)
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGTERM}
	detach.CloseInherited()
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting buildkitd in a network namespace: %w", err)
	}
	d.Pid = d.cmd.Process.Pid
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	// The namespace-side ends, made in buildkitd's namespace.
	var nsL []net.Listener
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		nsL, err = listenInNetNS(d.Pid, e.RegistryAddr, "127.0.0.1:"+strconv.Itoa(NSProxyPort))
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("listening in buildkitd's network namespace: %w", err)
	}
	for i, sock := range []string{regSock, proxySock} {
		d.closers = append(d.closers, nsL[i])
		go relayAll(nsL[i], func() (net.Conn, error) { return net.Dial("unix", sock) })
	}
	d.Env = append([]string{"BUILDKIT_HOST=" + d.Addr}, nsProxyEnv()...)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		select {
		case <-d.exited:
			return nil, fmt.Errorf("namespaced buildkitd exited during start-up (log: %s)", logf.Name())
		default:
		}
		if c, err := net.Dial("unix", filepath.Join(dir, "buildkitd.sock")); err == nil {
			c.Close()
			return d, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("namespaced buildkitd did not listen on %s within 60s (log: %s)", d.Addr, logf.Name())
		}
	}
}

// Stop ends the daemon (SIGTERM, then SIGKILL after 20 s) and the
// forwarders, and frees the state dir's lock. Only what StartNSDaemon
// started is signalled.
func (d *NSDaemon) Stop() {
	if d.cmd != nil && d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(20 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	}
	for _, c := range d.closers {
		c.Close()
	}
	if d.unlock != nil {
		d.unlock()
	}
}

// listenInNetNS listens on addrs in the network namespace of pid: a
// socket belongs to the namespace it was made in, wherever it is used
// from.
func listenInNetNS(pid int, addrs ...string) ([]net.Listener, error) {
	var out []net.Listener
	err := inNetNS(pid, func() error {
		for _, a := range addrs {
			l, err := net.Listen("tcp", a)
			if err != nil {
				for _, l := range out {
					l.Close()
				}
				out = nil
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// Accepts reports whether 127.0.0.1:port of the daemon's namespace
// accepts a connection (a service still listening there).
func (d *NSDaemon) Accepts(port int) bool {
	ok := false
	_ = inNetNS(d.Pid, func() error {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			ok = true
			c.Close()
		}
		return nil
	})
	return ok
}

// inNetNS runs fn on a thread that has entered pid's network namespace,
// and returns the thread to its own namespace afterwards.
func inNetNS(pid int, fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		own, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- err
			return
		}
		defer own.Close()
		target, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/net")
		if err != nil {
			ch <- err
			return
		}
		defer target.Close()
		if same, _ := sameFile(own, target); same {
			ch <- fmt.Errorf("process %d has not left this network namespace yet", pid)
			return
		}
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("setns: %w", err)
			return
		}
		err = fn()
		if rerr := unix.Setns(int(own.Fd()), unix.CLONE_NEWNET); rerr != nil {
			panic("testenv: cannot return to the test's network namespace: " + rerr.Error())
		}
		ch <- err
	}()
	return <-ch
}

func sameFile(a, b *os.File) (bool, error) {
	sa, err := a.Stat()
	if err != nil {
		return false, err
	}
	sb, err := b.Stat()
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// nsProxyEnv points HTTP(S) at the namespace's proxy and keeps loopback
// (the registry mirror's relay, the services) direct.
func nsProxyEnv() []string {
	proxy := "http://127.0.0.1:" + strconv.Itoa(NSProxyPort)
	return []string{"HTTP_PROXY=" + proxy, "HTTPS_PROXY=" + proxy, "NO_PROXY=127.0.0.1,localhost,::1"}
}

// withoutProxy drops the proxy variables of an environment.
func withoutProxy(env []string) []string {
	var out []string
	for _, kv := range env {
		switch k, _, _ := strings.Cut(kv, "="); strings.ToUpper(k) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY":
			continue
		}
		out = append(out, kv)
	}
	return out
}
