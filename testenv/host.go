package testenv

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// hostPackages are the Debian packages Up installs when their files are missing.
// openssh-client gives the SSH forwarding tests ssh-agent, ssh-add and
// ssh-keygen.
var hostPackages = []string{"runc", "debootstrap", "busybox-static", "openssh-client"}

// busyboxPath is where Debian's busybox-static puts its static binary.
const busyboxPath = "/bin/busybox"

// ensureHostPackages installs runc, debootstrap and busybox-static with apt
// when any of them is missing (or /bin/busybox is not static).
func ensureHostPackages(ctx context.Context, p *progress) error {
	var missing []string
	for _, tool := range []string{"runc", "debootstrap", "ssh-agent"} {
		if _, err := lookSbin(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if !isStatic(busyboxPath) {
		missing = append(missing, busyboxPath+" (static)")
	}
	if len(missing) == 0 {
		return nil
	}
	p.logf("missing %s: apt-get install %s", strings.Join(missing, ", "), strings.Join(hostPackages, " "))
	if err := run(ctx, p.w, "", nil, "apt-get", "update"); err != nil {
		return fmt.Errorf("installing host packages: apt-get update: %w", err)
	}
	args := append([]string{"install", "-y", "--no-install-recommends"}, hostPackages...)
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	if err := run(ctx, p.w, "", env, "apt-get", args...); err != nil {
		return fmt.Errorf("installing host packages: apt-get install: %w", err)
	}
	return nil
}

// lookSbin is exec.LookPath that also looks in the sbin directories, which a
// non-login PATH may lack.
func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/local/sbin", "/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// isStatic reports whether path is an ELF executable without an interpreter.
func isStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// ensureBuildkitd builds <repo>/bin/buildkitd from the version pinned in go.mod.
func ensureBuildkitd(ctx context.Context, p *progress, root string) error {
	return ensureGoBinary(ctx, p, root, filepath.Join(root, "bin", "buildkitd"),
		"github.com/moby/buildkit/cmd/buildkitd")
}

// ensureRegistryBinary builds <repo>/bin/registry from tools/go.mod.
func ensureRegistryBinary(ctx context.Context, p *progress, root string) error {
	return ensureGoBinary(ctx, p, filepath.Join(root, "tools"), filepath.Join(root, "bin", "registry"),
		"github.com/distribution/distribution/v3/cmd/registry")
}

// ensureGoBinary runs `go build -o out pkg` in the module at dir unless out
// already exists.
func ensureGoBinary(ctx context.Context, p *progress, dir, out, pkg string) error {
	if _, err := os.Stat(out); err == nil {
		return nil
	}
	p.logf("building %s (go build %s, about 1.5 min cold)", out, pkg)
	if err := run(ctx, p.w, dir, nil, "go", "build", "-o", out, pkg); err != nil {
		return fmt.Errorf("building %s: %w", filepath.Base(out), err)
	}
	return nil
}

// run runs a command in dir with extra env, streaming its output to w.
func run(ctx context.Context, w io.Writer, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
