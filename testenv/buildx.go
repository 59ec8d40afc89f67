package testenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// buildxPkg is built from tools/buildx/go.mod, a module of its own: buildx
// needs a newer BuildKit than stagebuild pins, and Debian has no
// docker-buildx package.
const buildxPkg = "github.com/docker/buildx/cmd/buildx"

// BuildxPlugin is where the Docker CLI looks for the buildx plugin of the
// user whose home is home.
func BuildxPlugin(home string) string {
	return filepath.Join(home, ".docker", "cli-plugins", "docker-buildx")
}

// ensureBuildx builds buildx once per tools/buildx/go.sum (cached in the
// state dir, shared by every checkout: a cold build takes minutes) and
// installs it as the Docker CLI plugin ~/.docker/cli-plugins/docker-buildx.
func ensureBuildx(ctx context.Context, p *progress, root, state string) (string, error) {
	mod := filepath.Join(root, "tools", "buildx")
	sum, err := os.ReadFile(filepath.Join(mod, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("buildx: %w", err)
	}
	modText, err := os.ReadFile(filepath.Join(mod, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("buildx: %w", err)
	}
	h := sha256.Sum256(append(modText, sum...))
	cached := filepath.Join(state, "testenv", "bin", "docker-buildx-"+hex.EncodeToString(h[:])[:16])
	if err := ensureGoBinary(ctx, p, mod, cached, buildxPkg); err != nil {
		return "", err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("installing the buildx plugin: %w", err)
	}
	plugin := BuildxPlugin(home)
	if same(plugin, cached) {
		return plugin, nil
	}
	p.logf("installing %s", plugin)
	if err := copyExecutable(cached, plugin); err != nil {
		return "", fmt.Errorf("installing the buildx plugin: %w", err)
	}
	return plugin, nil
}

// same reports whether two files have the same content.
func same(a, b string) bool {
	x, err := os.ReadFile(a)
	if err != nil {
		return false
	}
	y, err := os.ReadFile(b)
	return err == nil && bytes.Equal(x, y)
}

// copyExecutable copies src to dst (0755) through a temporary file.
func copyExecutable(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
