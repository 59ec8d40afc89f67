package services

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// Ports hands out free ports on 127.0.0.1 for services and smoke checks.
// A port is held by a lock file in Dir until it is released, so parallel
// stagebuild processes never hand out the same port.
type Ports struct {
	// Dir holds the lock files.
	Dir string
}

// Allocate picks a free port and holds it until release is called.
func (p *Ports) Allocate() (port int, release func(), err error) {
	if err := os.MkdirAll(p.Dir, 0o777); err != nil {
		return 0, nil, fmt.Errorf("allocating a port: %w", err)
	}
	for attempt := 0; attempt < 50; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, nil, fmt.Errorf("allocating a port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		f, err := os.OpenFile(filepath.Join(p.Dir, strconv.Itoa(port)+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
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
