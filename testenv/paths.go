package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ModulePath is the main module whose root RepoRoot looks for.
const ModulePath = "github.com/stagebuild/stagebuild"

// StateDir is where stagebuild keeps local state: $STAGEBUILD_HOME, else
// $XDG_STATE_HOME/stagebuild, else ~/.local/state/stagebuild.
func StateDir() string {
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

// RepoRoot walks up from the working directory to the directory whose go.mod
// declares module github.com/stagebuild/stagebuild.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding repo root: %w", err)
	}
	for {
		if modulePath(filepath.Join(dir, "go.mod")) == ModulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding repo root: no go.mod for " + ModulePath + " above the working directory")
		}
		dir = parent
	}
}

// modulePath returns the module path declared in a go.mod, or "".
func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
