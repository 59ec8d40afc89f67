package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stagebuild/stagebuild/internal/detach"
)

const registryConfig = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`

// ensureRegistry builds and starts the local registry unless one answers on
// RegistryAddr already.
func ensureRegistry(ctx context.Context, p *progress, root, state string) error {
	up, err := registryUp(ctx)
	if err != nil || up {
		return err
	}
	if err := ensureRegistryBinary(ctx, p, root); err != nil {
		return err
	}
	dir := filepath.Join(state, "registry")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return fmt.Errorf("starting registry: %w", err)
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := writeIfChanged(cfg, fmt.Sprintf(registryConfig, filepath.Join(dir, "data"), RegistryAddr)); err != nil {
		return fmt.Errorf("starting registry: %w", err)
	}
	logPath := filepath.Join(dir, "registry.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("starting registry: %w", err)
	}
	defer logf.Close()
	p.logf("starting registry on %s (data %s, log %s)", RegistryAddr, filepath.Join(dir, "data"), logPath)
	// Not CommandContext: the registry must outlive this process.
	cmd := exec.Command(filepath.Join(root, "bin", "registry"), "serve", cfg)
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	detach.CloseInherited() // or the daemon holds our parent's locks while it runs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting registry: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "registry.pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return fmt.Errorf("starting registry: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("starting registry: exited (%v), see %s", err, logPath)
		case <-ctx.Done():
			return fmt.Errorf("starting registry: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if up, _ := registryUp(ctx); up {
			return nil
		}
	}
	return fmt.Errorf("starting registry: no answer on %s after 15s, see %s", RegistryAddr, logPath)
}

// registryUp reports whether a registry answers on RegistryAddr. A connection
// refused means no; anything else holding the port is an error.
func registryUp(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+RegistryAddr+"/v2/", nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return false, nil
		}
		return false, fmt.Errorf("port %s is in use but does not answer as a registry: %v", RegistryAddr, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Docker-Distribution-Api-Version") == "" {
		return false, fmt.Errorf("port %s is held by something that is not a registry (GET /v2/: %s)", RegistryAddr, resp.Status)
	}
	return true, nil
}

// Down stops the registry and the dockerd that Up started from this state dir.
func Down(state string) error {
	if state == "" {
		var err error
		if state, err = StateDir(); err != nil {
			return err
		}
	}
	if err := stopDocker(dockerLayout(state)); err != nil {
		return err
	}
	pidFile := filepath.Join(state, "registry", "registry.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stopping registry: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("stopping registry: bad pid file %s", pidFile)
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if strings.Contains(string(cmdline), "registry") {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 50 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return os.Remove(pidFile)
}

// ListTags lists the tags of repo (e.g. "library/python") in the local
// registry; a repository that does not exist has no tags.
func ListTags(ctx context.Context, repo string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+RegistryAddr+"/v2/"+repo+"/tags/list", nil)
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing tags of %s: %s", repo, resp.Status)
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	return body.Tags, nil
}
