package testenv

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

// buildkitdTOML is the buildkitd config Up installs as <state>/buildkitd.toml.
//
//go:embed buildkitd.toml
var buildkitdTOML string

// installBuildkitdConfig writes the embedded config to path when it differs.
func installBuildkitdConfig(p *progress, path string) error {
	old, _ := os.ReadFile(path)
	if string(old) == buildkitdTOML {
		return nil
	}
	p.logf("writing %s", path)
	if err := writeIfChanged(path, buildkitdTOML); err != nil {
		return fmt.Errorf("installing buildkitd config: %w", err)
	}
	return nil
}

// writeIfChanged atomically replaces path with content unless it already
// holds exactly that.
func writeIfChanged(path, content string) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == content {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
