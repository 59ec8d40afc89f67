package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
)

// Target is the daemon a command acts on: addr, else $BUILDKIT_HOST, else
// the local daemon. Local reports the last case.
func Target(addr string) (resolved string, local bool, err error) {
	if addr == "" {
		addr = os.Getenv("BUILDKIT_HOST")
	}
	if addr == "" {
		l, err := LocalDaemon()
		return l.Addr(), true, err
	}
	return addr, false, nil
}

// LocalPID is the pid of the local daemon, or 0 when its pid file names no
// live process proven to be that daemon (owner.go).
func LocalPID() int {
	l, err := LocalDaemon()
	if err != nil {
		return 0
	}
	return ownedPid(l) // owner.go: never a stale file's pid
}

// Status is what `stagebuild daemon status` reports.
type Status struct {
	Addr    string `json:"address"`
	Local   bool   `json:"local"`
	Running bool   `json:"running"`
	// PID is the local daemon's process, when it runs.
	PID int `json:"pid,omitempty"`
	// Error says why a daemon is not running or not reachable.
	Error   string                  `json:"error,omitempty"`
	Version *client.BuildkitVersion `json:"version,omitempty"`
	Workers []Worker                `json:"workers,omitempty"`
	Disk    *DiskUsage              `json:"disk_usage,omitempty"`
}

// Worker is one BuildKit worker.
type Worker struct {
	ID        string     `json:"id"`
	Platforms []string   `json:"platforms"`
	GCPolicy  []GCPolicy `json:"gc_policy,omitempty"`
}

// GCPolicy is one rule of a worker's garbage collection.
type GCPolicy struct {
	All          bool     `json:"all,omitempty"`
	Filters      []string `json:"filters,omitempty"`
	KeepDuration string   `json:"keep_duration,omitempty"`
	// Sizes are in bytes; 0 is unset.
	ReservedSpace int64 `json:"reserved_space,omitempty"`
	MaxUsedSpace  int64 `json:"max_used_space,omitempty"`
	MinFreeSpace  int64 `json:"min_free_space,omitempty"`
}

// DiskUsage sums the daemon's cache records.
type DiskUsage struct {
	Total       int64 `json:"total"`
	Reclaimable int64 `json:"reclaimable"`
	Records     int   `json:"records"`
}

// GetStatus reports on the daemon that addr selects (see Target). It never
// starts one: a daemon that does not answer is reported as not running.
func GetStatus(ctx context.Context, addr string) (*Status, error) {
	resolved, local, err := Target(addr)
	if err != nil {
		return nil, err
	}
	st := &Status{Addr: resolved, Local: local}
	c, err := dial(ctx, resolved, 5*time.Second)
	if err != nil {
		st.Error = err.Error()
		return st, nil
	}
	defer c.Close()
	st.Running = true
	if local {
		st.PID = LocalPID()
	}
	info, err := c.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("buildkitd at %s: %w", resolved, err)
	}
	st.Version = &info.BuildkitVersion
	workers, err := c.ListWorkers(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the workers of %s: %w", resolved, err)
	}
	for _, w := range workers {
		st.Workers = append(st.Workers, worker(w))
	}
	du, err := c.DiskUsage(ctx)
	if err != nil {
		return nil, fmt.Errorf("disk usage of %s: %w", resolved, err)
	}
	st.Disk = &DiskUsage{Records: len(du)}
	for _, r := range du {
		st.Disk.Total += r.Size
		if !r.InUse {
			st.Disk.Reclaimable += r.Size
		}
	}
	return st, nil
}

func worker(w *client.WorkerInfo) Worker {
	out := Worker{ID: w.ID}
	for _, p := range w.Platforms {
		out.Platforms = append(out.Platforms, platforms.Format(p))
	}
	for _, g := range w.GCPolicy {
		p := GCPolicy{All: g.All, Filters: g.Filter, ReservedSpace: g.ReservedSpace,
			MaxUsedSpace: g.MaxUsedSpace, MinFreeSpace: g.MinFreeSpace}
		if g.KeepDuration > 0 {
			p.KeepDuration = g.KeepDuration.String()
		}
		out.GCPolicy = append(out.GCPolicy, p)
	}
	return out
}

// Summary is a GC rule on one line, such as "keep 48h0m0s, max 10.0GB, type==source.local".
func (g GCPolicy) Summary() string {
	var parts []string
	if g.All {
		parts = append(parts, "all records")
	}
	if g.KeepDuration != "" {
		parts = append(parts, "keep "+g.KeepDuration)
	}
	for _, s := range []struct {
		name string
		n    int64
	}{{"reserved", g.ReservedSpace}, {"max", g.MaxUsedSpace}, {"min free", g.MinFreeSpace}} {
		if s.n > 0 {
			parts = append(parts, s.name+" "+FormatSize(s.n))
		}
	}
	parts = append(parts, g.Filters...)
	if len(parts) == 0 {
		return "no limits"
	}
	return strings.Join(parts, ", ")
}

// StopLocalDaemon stops the local daemon, if it runs, once no start is under
// way, and returns the pid it stopped (0: none ran).
func StopLocalDaemon() (int, error) {
	l, err := LocalDaemon()
	if err != nil {
		return 0, err
	}
	if _, err := os.Stat(l.Dir); err != nil {
		return 0, nil
	}
	unlock, err := lockFile(filepath.Join(l.Dir, "lock"))
	if err != nil {
		return 0, err
	}
	defer unlock()
	pid := LocalPID()
	if pid == 0 {
		if ping(context.Background(), l.Addr(), time.Second) == nil {
			return 0, fmt.Errorf("a buildkitd answers at %s, but %s names no live process: stop it by hand", l.Addr(), filepath.Join(l.Dir, "buildkitd.pid"))
		}
		return 0, nil
	}
	return pid, stopPid(l)
}
