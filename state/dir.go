package state

import (
	"os"
	"path/filepath"
)

// Dir is where stagebuild keeps local state: $STAGEBUILD_HOME, else
// $XDG_STATE_HOME/stagebuild, else ~/.local/state/stagebuild.
func Dir() string {
	if d := os.Getenv("STAGEBUILD_HOME"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "stagebuild")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".local", "state", "stagebuild")
}
