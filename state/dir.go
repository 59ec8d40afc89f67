package state

import (
	"errors"
	"os"
	"path/filepath"
)

// errNoHome is Dir's error when no directory of the user's own is named:
// none of STAGEBUILD_HOME, XDG_STATE_HOME and HOME is set.
var errNoHome = errors.New("no state directory: $HOME is not set (set HOME, or STAGEBUILD_HOME to a directory of your own)")

// Dir is where stagebuild keeps local state: $STAGEBUILD_HOME, else
// $XDG_STATE_HOME/stagebuild, else ~/.local/state/stagebuild. With none of
// them set it is an error, never a shared place such as /tmp: the state
// dir holds the config a root daemon reads and the port locks.
func Dir() (string, error) {
	if d := os.Getenv("STAGEBUILD_HOME"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "stagebuild"), nil
	}
	home := os.Getenv("HOME")
	if home == "" {
		return "", errNoHome
	}
	return filepath.Join(home, ".local", "state", "stagebuild"), nil
}
