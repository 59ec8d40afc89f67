package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freshDaemonEnv gives stagebuild a state dir of its own, so it starts a
// second, empty buildkitd (a new CI machine), stopped when the test ends.
func freshDaemonEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	cfg, err := os.ReadFile(env.BuildkitdConfig)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "buildkitd.toml"), string(cfg))
	t.Cleanup(func() {
		b, err := os.ReadFile(filepath.Join(home, "buildkitd", "buildkitd.pid"))
		if err != nil {
			return
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	})
	return []string{"STAGEBUILD_HOME=" + home}
}

// A failing gate still exports the dependency cache; an empty daemon that
// imports it (a fresh CI machine) reuses the installs, and gets the same
// verdict back until the test is fixed.
func TestCacheExportSurvivesFailedGate(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	// Dependencies unique to this test, so only the imported cache can
	// make their installs hits on the fresh daemon.
	appendFile(t, filepath.Join(dir, "requirements.txt"), "# "+randomID()+"\n")
	writeFile(t, filepath.Join(dir, "tests", "test_broken.py"), failingTest)
	cacheDir := filepath.Join(t.TempDir(), "cache")

	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "plain",
		"--cache-to", "type=local,dest="+cacheDir+",mode=max", "-o", "type=oci,dest=svc.tar")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, tail(r.stderr, 30))
	}
	if _, err := os.Stat(filepath.Join(cacheDir, "index.json")); err != nil {
		t.Fatalf("no cache exported after the failed gate: %v", err)
	}

	fresh := freshDaemonEnv(t)
	r = stagebuildEnv(t, dir, fresh, "build", "--target", "service", "--progress", "rawjson",
		"--cache-from", "type=local,src="+cacheDir, "-o", "type=oci,dest=svc.tar")
	if r.code != 3 {
		t.Fatalf("fresh daemon, still failing: exit %d, want 3\n%s", r.code, tail(r.stderr, 30))
	}
	vs := parseRawJSON(t, r.stderr)
	for _, name := range []string{"[deps 3/3] RUN SOURCE_DATE_EPOCH=315532800 pip install", "[test_deps 2/2] RUN SOURCE_DATE_EPOCH=315532800 pip install", "[tests 1/1] TEST pytest"} {
		if v := find(t, vs, name); !v.Cached {
			t.Errorf("%s ran again on the fresh daemon despite --cache-from", v.Name)
		}
	}

	os.Remove(filepath.Join(dir, "tests", "test_broken.py"))
	r = stagebuildEnv(t, dir, fresh, "build", "--target", "service", "--progress", "rawjson",
		"--cache-from", "type=local,src="+cacheDir, "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	vs = parseRawJSON(t, r.stderr)
	if v := find(t, vs, "[deps 3/3] RUN SOURCE_DATE_EPOCH=315532800 pip install"); !v.Cached {
		t.Errorf("deps install ran again after the fix")
	}
	if v := find(t, vs, "[tests 1/1] TEST pytest"); v.Cached {
		t.Errorf("the fixed tests did not run")
	}
}
