package services

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Ports hands out free ports on 127.0.0.1 for services and smoke checks.
// A port is held by a lock file in Dir until it is released, so parallel
// stagebuild processes never hand out the same port.
type Ports struct {
	// Dir holds the lock files: a directory of the user's own (under the
	// state dir), created 0700, which no one else can fill with locks.
	Dir string
	// Err, when set, is why there is no Dir; Allocate returns it.
	Err error
}

// Allocate picks a free port and holds it until release is called.
func (p *Ports) Allocate() (port int, release func(), err error) {
	if p.Err != nil {
		return 0, nil, fmt.Errorf("allocating a port: %w", p.Err)
	}
	if err := p.ensureDir(); err != nil {
		return 0, nil, err
	}
	for attempt := 0; attempt < 50; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, nil, fmt.Errorf("allocating a port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		f, err := os.OpenFile(filepath.Join(p.Dir, strconv.Itoa(port)+".lock"), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return 0, nil, fmt.Errorf("allocating a port: %w", err)
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close()
			continue
		}
		return port, func() { f.Close() }, nil
	}
	return 0, nil, fmt.Errorf("allocating a port: no free port found in 50 tries")
}

// ensureDir creates Dir 0700 and refuses one that is not a directory of
// this user's own that only it can write.
func (p *Ports) ensureDir() error {
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return fmt.Errorf("allocating a port: %w", err)
	}
	fi, err := os.Lstat(p.Dir)
	if err != nil {
		return fmt.Errorf("allocating a port: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("allocating a port: %s is not a directory (remove it; stagebuild keeps its port locks there)", p.Dir)
	case ok && int(st.Uid) != os.Geteuid():
		return fmt.Errorf("allocating a port: %s belongs to uid %d, not to you (remove it; stagebuild keeps its port locks there)", p.Dir, st.Uid)
	case fi.Mode().Perm()&0o077 != 0:
		if err := os.Chmod(p.Dir, 0o700); err != nil {
			return fmt.Errorf("allocating a port: %w", err)
		}
	}
	return nil
}

// Hold takes the lock of a fixed port (checks.smoke.port), waiting up to
// wait for another stagebuild process's hold of it to end, and fails when
// something else already listens there: a probe would reach it, not the
// service.
func (p *Ports) Hold(ctx context.Context, port int, wait time.Duration) (int, func(), error) {
	if p.Err != nil {
		return 0, nil, fmt.Errorf("holding port %d: %w", port, p.Err)
	}
	if err := p.ensureDir(); err != nil {
		return 0, nil, err
	}
	f, err := os.OpenFile(filepath.Join(p.Dir, strconv.Itoa(port)+".lock"), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return 0, nil, fmt.Errorf("holding port %d: %w", port, err)
	}
	deadline := time.Now().Add(wait)
	for syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		if time.Now().After(deadline) {
			f.Close()
			return 0, nil, fmt.Errorf("port %d stayed in use by another stagebuild smoke test for %s", port, wait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return 0, nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		f.Close()
		return 0, nil, fmt.Errorf("port %d (checks.smoke.port) is already in use on this host, so the probe could not tell the service from it: stop what listens there, or make the service read its port from an env var and use port_env", port)
	}
	l.Close()
	return port, func() { f.Close() }, nil
}
