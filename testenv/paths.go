package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stagebuild/stagebuild/state"
)

// ModulePath is the main module whose root RepoRoot looks for.
const ModulePath = "github.com/stagebuild/stagebuild"

// StateDir is the local daemon's state dir (state.Dir), so the test
// env installs its config where stagebuild reads it.
func StateDir() (string, error) { return state.Dir() }

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
