package build

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// CheckDocker fails fast, before any build work, when --load has no Docker
// engine to load into.
func CheckDocker(ctx context.Context) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return fmt.Errorf("--load: the docker CLI is not on PATH (install it, or write -o type=docker,dest=FILE.tar and docker load -i FILE.tar)")
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg, _, _ := strings.Cut(strings.TrimSpace(out.String()), "\n")
		return fmt.Errorf("--load: no Docker engine is reachable (%s); start one or set DOCKER_HOST, or write -o type=docker,dest=FILE.tar", msg)
	}
	return nil
}

// dockerLoad loads a docker-format tar and removes it.
func dockerLoad(ctx context.Context, tarball string) error {
	defer os.RemoveAll(filepath.Dir(tarball))
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", "load", "-i", tarball)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker load: %v: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}
