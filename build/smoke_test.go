package build

import (
	"os"
	"path/filepath"
	"testing"
)

// Service and smoke ports are locked under the state dir, and without one
// (HOME unset) a port is refused, never locked in /tmp.
func TestPortsUnderStateDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("STAGEBUILD_HOME", home)
	if p := newPorts(); p.Dir != filepath.Join(home, "ports") || p.Err != nil {
		t.Errorf("ports in %s (%v), want %s", p.Dir, p.Err, filepath.Join(home, "ports"))
	}
	t.Setenv("STAGEBUILD_HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "")
	os.Unsetenv("HOME")
	want := "allocating a port: no state directory: $HOME is not set (set HOME, or STAGEBUILD_HOME to a directory of your own)"
	if _, _, err := newPorts().Allocate(); err == nil || err.Error() != want {
		t.Errorf("without HOME:\n got %v\nwant %s", err, want)
	}
}
