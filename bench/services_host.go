package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The host baseline H: the integrated tests with pytest from a host venv,
// against a host PostgreSQL 15 (Debian's packages) that is up before the
// clock starts. Its cluster is the service's: a throwaway one with trust
// auth on a free loopback port, fsync off. The system's cluster is never
// started.
const (
	pgBin     = "/usr/lib/postgresql/15/bin"
	policyRCD = "/usr/sbin/policy-rc.d"
	caBundle  = "/etc/ssl/certs/ca-certificates.crt"
)

type host struct {
	work, ws, venv string
	pgDir          string // owned by postgres: the data dir, socket and log
	port           int
	cred           *syscall.Credential
	started        bool
	info           hostInfo
}

// hostInfo describes H's set-up, for the report.
type hostInfo struct {
	Python, Postgres string
	// Initdb and PGStart are the one-off set-up of its cluster (initdb, and
	// pg_ctl start until ready): what S's service pays every run.
	Initdb, PGStart time.Duration
}

// startHost makes H ready: Postgres installed and running, the venv
// installed. Stop the returned host even when err is set.
func startHost(ctx context.Context, work, ws string) (*host, error) {
	h := &host{work: work, ws: ws, venv: filepath.Join(work, "host-venv")}
	if err := installPostgres(ctx); err != nil {
		return nil, err
	}
	if err := h.makeVenv(ctx); err != nil {
		return nil, err
	}
	return h, h.startPostgres(ctx)
}

// installPostgres installs Debian's postgresql-15 when its initdb is
// missing, with a policy-rc.d in place so that apt starts no cluster.
func installPostgres(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err == nil {
		return nil
	}
	logf("services: installing postgresql-15 on the host (apt-get)")
	if _, err := os.Stat(policyRCD); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(policyRCD, []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
			return err
		}
		defer os.Remove(policyRCD)
	}
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	install := []string{"apt-get", "install", "-y", "--no-install-recommends", "postgresql-15"}
	if _, err := runCmd(ctx, "", env, nil, install...); err == nil {
		return nil
	}
	if _, err := runCmd(ctx, "", env, nil, "apt-get", "update"); err != nil {
		return err
	}
	_, err := runCmd(ctx, "", env, nil, install...)
	return err
}

// makeVenv pip-installs the example's requirements and test requirements
// into a fresh venv; on a failure it retries with the system CA bundle.
func (h *host) makeVenv(ctx context.Context) error {
	py, err := exec.LookPath("python3")
	if err != nil {
		return fmt.Errorf("the host baseline needs python3: %w", err)
	}
	if h.info.Python, err = runCmd(ctx, "", nil, nil, py, "--version"); err != nil {
		return err
	}
	if _, err := runCmd(ctx, "", nil, nil, py, "-m", "venv", h.venv); err != nil {
		return err
	}
	pip := []string{filepath.Join(h.venv, "bin", "pip"), "install", "-q",
		"-r", filepath.Join(h.ws, "requirements.txt"), "-r", filepath.Join(h.ws, "test_requirements.txt")}
	env := append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1")
	if _, err = runCmd(ctx, "", env, nil, pip...); err != nil {
		logf("services: pip failed, retrying with PIP_CERT=%s: %v", caBundle, err)
		_, err = runCmd(ctx, "", append(env, "PIP_CERT="+caBundle, "REQUESTS_CA_BUNDLE="+caBundle), nil, pip...)
	}
	return err
}

// startPostgres runs initdb and pg_ctl start as the postgres user, in a
// temp dir it owns, on a free 127.0.0.1 port.
func (h *host) startPostgres(ctx context.Context) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("the host baseline runs Postgres as the postgres user: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	h.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if h.pgDir, err = os.MkdirTemp("", "stagebuild-bench-pg-"); err != nil {
		return err
	}
	if err := os.Chown(h.pgDir, int(uid), int(gid)); err != nil {
		return err
	}
	if h.port, err = freePort(); err != nil {
		return err
	}
	env := []string{"PATH=" + pgBin + ":/usr/bin:/bin", "HOME=" + h.pgDir, "LANG=C.UTF-8"}
	data := filepath.Join(h.pgDir, "data")
	t0 := time.Now()
	if _, err := runCmd(ctx, h.pgDir, env, h.cred, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync"); err != nil {
		return err
	}
	h.info.Initdb = time.Since(t0)
	opts := fmt.Sprintf("-c port=%d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s "+
		"-c fsync=off -c synchronous_commit=off -c full_page_writes=off", h.port, h.pgDir)
	t0 = time.Now()
	h.started = true
	if _, err := runCmd(ctx, h.pgDir, env, h.cred, "pg_ctl", "-D", data, "-l", filepath.Join(h.pgDir, "postgres.log"),
		"-w", "-t", "60", "-o", opts, "start"); err != nil {
		return err
	}
	h.info.PGStart = time.Since(t0)
	h.info.Postgres, err = runCmd(ctx, h.pgDir, env, h.cred, "postgres", "--version")
	h.info.Postgres = strings.Replace(h.info.Postgres, "postgres (PostgreSQL)", "PostgreSQL", 1)
	logf("services: host %s on 127.0.0.1:%d (initdb %.2fs, start %.2fs)", h.info.Postgres, h.port,
		h.info.Initdb.Seconds(), h.info.PGStart.Seconds())
	return err
}

// stop stops H's Postgres (even after an interrupt) and removes its dir.
func (h *host) stop() {
	if h.started {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		env := []string{"PATH=" + pgBin + ":/usr/bin:/bin", "HOME=" + h.pgDir}
		if _, err := runCmd(ctx, h.pgDir, env, h.cred, "pg_ctl", "-D", filepath.Join(h.pgDir, "data"), "-m", "fast", "-w", "stop"); err != nil {
			logf("services: stopping the host Postgres: %v", err)
		}
	}
	if h.pgDir != "" {
		_ = os.RemoveAll(h.pgDir)
	}
}

// pytest runs the integrated tests once and times them.
func (h *host) pytest(ctx context.Context) (hostRun, error) {
	env := append(os.Environ(), fmt.Sprintf("DATABASE_URL=postgresql://postgres@127.0.0.1:%d/postgres", h.port),
		"PYTHONPATH="+h.ws, "PYTHONDONTWRITEBYTECODE=1")
	t0 := time.Now()
	out, err := runCmd(ctx, h.ws, env, nil, filepath.Join(h.venv, "bin", "pytest"), "-q", "-p", "no:cacheprovider",
		"--junitxml="+filepath.Join(h.work, "host-junit.xml"), svcTests)
	r := hostRun{Wall: time.Since(t0)}
	if err != nil {
		return r, err
	}
	p, ok := pytestTime([]byte(out))
	if !ok {
		return r, fmt.Errorf("no pytest summary in the host run's output:\n%s", out)
	}
	r.Pytest = p
	return r, nil
}

// runCmd runs argv in dir (as cred's user when set; env nil inherits) and
// returns its trimmed output, or an error that includes it.
func runCmd(ctx context.Context, dir string, env []string, cred *syscall.Credential, argv ...string) (string, error) {
	name := argv[0]
	if !strings.Contains(name, "/") && cred != nil {
		name = filepath.Join(pgBin, name)
	}
	cmd := exec.CommandContext(ctx, name, argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	// Its own process group: a Ctrl-C reaches the harness, which stops
	// the host Postgres in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
