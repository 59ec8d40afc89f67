package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stagebuild/stagebuild/daemon"
	"github.com/stagebuild/stagebuild/testenv"
)

var (
	repoRoot string
	binPath  string
	env      *testenv.Env
)

// TestMain brings up the hermetic environment (idempotent, cached), builds
// bin/stagebuild and makes sure the local daemon runs. It fails rather than
// skips when any of that is impossible: these tests must run in CI.
func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "integration setup: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	stopNSDaemon() // netns_test.go: only if a test started it
	os.Exit(code)
}

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var err error
	if repoRoot, err = testenv.RepoRoot(); err != nil {
		return err
	}
	if env, err = testenv.Up(ctx, testenv.Options{Log: os.Stderr}); err != nil {
		return err
	}
	binPath = filepath.Join(repoRoot, "bin", "stagebuild")
	build := exec.Command("go", "build", "-o", binPath, "./cmd/stagebuild")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	// Tests use the local daemon that stagebuild starts on demand; start it
	// once here so parallel tests do not all wait on the first start.
	os.Unsetenv("BUILDKIT_HOST")
	os.Setenv("STAGEBUILD_BUILDKITD", filepath.Join(repoRoot, "bin", "buildkitd"))
	if _, err := daemon.EnsureLocal(ctx, os.Stderr); err != nil {
		return err
	}
	return nil
}
