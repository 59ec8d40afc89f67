package services

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Ports held at once are distinct, their locks live in a 0700 directory
// of the user's own, and a release frees the lock.
func TestPortsAllocate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	p := &Ports{Dir: filepath.Join(t.TempDir(), "state", "ports")}
	seen := map[int]bool{}
	var releases []func()
	for i := 0; i < 20; i++ {
		port, release, err := p.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		if seen[port] {
			t.Fatalf("port %d handed out twice while held", port)
		}
		seen[port] = true
		releases = append(releases, release)
		fi, err := os.Stat(filepath.Join(p.Dir, itoa(port)+".lock"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("lock of port %d: %v, mode %v; want 0600", port, err, fi.Mode())
		}
	}
	fi, err := os.Stat(p.Dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("ports dir mode %v (%v), want 0700", fi.Mode(), err)
	}
	for _, r := range releases {
		r()
	}
}

// A ports dir that others can write is made the user's alone; one that is
// a symlink, a file or another user's is refused with the fix.
func TestPortsDirRefused(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o777)
	if _, release, err := (&Ports{Dir: open}).Allocate(); err != nil {
		t.Fatal(err)
	} else {
		release()
	}
	if fi, _ := os.Stat(open); fi.Mode().Perm() != 0o700 {
		t.Errorf("world-writable ports dir left %v, want 0700", fi.Mode().Perm())
	}

	link := filepath.Join(base, "link")
	if err := os.Symlink(open, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ dir, want string }{
		{link, "allocating a port: " + link + " is not a directory (remove it; stagebuild keeps its port locks there)"},
		{file, "allocating a port: mkdir " + file + ": not a directory"},
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(base, "other")
		if err := os.Mkdir(other, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct{ dir, want string }{other,
			"allocating a port: " + other + " belongs to uid 65534, not to you (remove it; stagebuild keeps its port locks there)"})
	}
	for _, tt := range tests {
		if _, _, err := (&Ports{Dir: tt.dir}).Allocate(); err == nil || err.Error() != tt.want {
			t.Errorf("Allocate in %s:\n got %v\nwant %s", tt.dir, err, tt.want)
		}
	}
	noHome := errors.New("no state directory: $HOME is not set (set HOME, or STAGEBUILD_HOME to a directory of your own)")
	if _, _, err := (&Ports{Err: noHome}).Allocate(); err == nil || err.Error() != "allocating a port: "+noHome.Error() {
		t.Errorf("without a state dir: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
