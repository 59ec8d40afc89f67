package integration

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/daemon"
)

// daemonStatus runs `stagebuild daemon status --format json`.
func daemonStatus(t *testing.T, dir string, env []string, extra ...string) daemon.Status {
	t.Helper()
	r := stagebuildEnv(t, dir, env, append([]string{"daemon", "status", "--format", "json"}, extra...)...).mustSucceed(t)
	var st daemon.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, r.stdout)
	}
	return st
}

// The daemon commands manage a daemon of their own state dir from start to
// stop, and prune reclaims what a build left.
func TestDaemonCmd(t *testing.T) {
	t.Parallel()
	fresh := freshDaemonEnv(t)
	home := strings.TrimPrefix(fresh[0], "STAGEBUILD_HOME=")
	addr := "unix://" + filepath.Join(home, "buildkitd", "buildkitd.sock")
	dir := t.TempDir()

	if st := daemonStatus(t, dir, fresh); st.Running || st.Addr != addr || !st.Local {
		t.Fatalf("before start: %+v", st)
	}
	r := stagebuildEnv(t, dir, fresh, "daemon", "start").mustSucceed(t)
	if strings.TrimSpace(r.stdout) != addr {
		t.Errorf("start printed %q, want %s", r.stdout, addr)
	}
	st := daemonStatus(t, dir, fresh)
	if !st.Running || st.PID <= 0 || st.Version == nil || st.Version.Version == "" || len(st.Workers) == 0 ||
		len(st.Workers[0].Platforms) == 0 || st.Disk == nil {
		t.Fatalf("after start: %+v", st)
	}
	r = stagebuildEnv(t, dir, fresh, "daemon", "status").mustSucceed(t)
	for _, want := range []string{"address:  " + addr + " (local)", "running:  yes (pid " + strconv.Itoa(st.PID) + ")",
		"version:  " + st.Version.Package + " " + st.Version.Version, "workers:\n  " + st.Workers[0].ID, "disk:     "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	// --addr selects that daemon: status acts on it, start refuses.
	if st := daemonStatus(t, dir, fresh, "--addr", addr); !st.Running || st.Local || st.PID != 0 {
		t.Errorf("status --addr: %+v", st)
	}
	r = stagebuildEnv(t, dir, append(fresh, "BUILDKIT_HOST="+addr), "daemon", "start")
	if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "manages only the local daemon") {
		t.Errorf("start with BUILDKIT_HOST: exit %d, %q", r.code, r.stderr)
	}

	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
default: app
stages:
  app:
    from: busybox:latest
    run: head -c 100000 /dev/urandom > /blob && echo `+randomID()+` > /id
`)
	stagebuildEnv(t, dir, fresh, "build", "--progress", "quiet", "-o", "type=oci,dest=out.tar").mustSucceed(t)
	used := daemonStatus(t, dir, fresh)
	if used.Disk == nil || used.Disk.Total < 100000 || used.Disk.Records == 0 {
		t.Fatalf("disk usage after a build: %+v", used.Disk)
	}

	r = stagebuildEnv(t, dir, fresh, "daemon", "prune", "--all").mustSucceed(t)
	m := regexp.MustCompile(`^reclaimed \S+ \((\d+) bytes\) from (\d+) cache records\n$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("prune printed %q", r.stdout)
	}
	if n, _ := strconv.ParseInt(m[1], 10, 64); n < 100000 || m[2] == "0" {
		t.Errorf("prune --all reclaimed %s bytes from %s records, after a build that wrote 100kB", m[1], m[2])
	}
	if after := daemonStatus(t, dir, fresh); after.Disk.Total >= used.Disk.Total {
		t.Errorf("disk usage %d after prune, %d before", after.Disk.Total, used.Disk.Total)
	}

	r = stagebuildEnv(t, dir, fresh, "daemon", "stop").mustSucceed(t)
	if want := "stopped local buildkitd (pid " + strconv.Itoa(st.PID) + ")\n"; r.stdout != want {
		t.Errorf("stop printed %q, want %q", r.stdout, want)
	}
	if st := daemonStatus(t, dir, fresh); st.Running || st.PID != 0 {
		t.Errorf("after stop: %+v", st)
	}
	r = stagebuildEnv(t, dir, fresh, "daemon", "status").mustSucceed(t)
	if !strings.Contains(r.stdout, "running:  no; start it with: stagebuild daemon start") {
		t.Errorf("status after stop:\n%s", r.stdout)
	}
	if r = stagebuildEnv(t, dir, fresh, "daemon", "stop").mustSucceed(t); r.stdout != "local buildkitd is not running\n" {
		t.Errorf("second stop printed %q", r.stdout)
	}
}
