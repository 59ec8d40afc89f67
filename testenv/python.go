package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hostCADir holds the extra CAs the host trusts (this machine's HTTPS egress
// is re-signed by one of them); the python image trusts them too.
const hostCADir = "/usr/local/share/ca-certificates"

// pythonRecipe is everything the python rootfs depends on.
type pythonRecipe struct {
	Suite   string
	Variant string
	Include []string
	Mirror  string
	CAs     map[string]string // file name under hostCADir -> sha256
	Steps   []string          // post-debootstrap steps, in order
}

func newPythonRecipe() (pythonRecipe, error) {
	r := pythonRecipe{
		Suite:   "bookworm",
		Variant: "minbase",
		Include: []string{"python3", "python3-venv", "python3-pip", "ca-certificates", "python-is-python3"},
		Mirror:  debianMirror(),
		CAs:     map[string]string{},
		Steps: []string{
			"copy host CAs; chroot update-ca-certificates",
			"rm /usr/lib/python3*/EXTERNALLY-MANAGED",
			"chroot apt-get clean; rm /var/lib/apt/lists/*",
			"tar --numeric-owner -p, dev/proc/sys contents excluded",
		},
	}
	err := filepath.WalkDir(hostCADir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(hostCADir, path)
		r.CAs[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		return r, fmt.Errorf("reading host CAs: %w", err)
	}
	return r, nil
}

// pythonImage is library/python:3.11-slim-bookworm, built with debootstrap.
func pythonImage() (imageSpec, error) {
	r, err := newPythonRecipe()
	if err != nil {
		return imageSpec{}, err
	}
	return imageSpec{
		name:   "python",
		repo:   "library/python",
		tags:   []string{"3.11-slim-bookworm", "3.11-bookworm", "3.11"},
		recipe: r,
		config: v1.Config{Env: []string{basePath, "LANG=C.UTF-8"}, Cmd: []string{"python3"}},
		build: func(ctx context.Context, p *progress, work string, w io.Writer) error {
			return buildPythonRootfs(ctx, p, r, work, w)
		},
	}, nil
}

// buildPythonRootfs debootstraps the recipe into a scratch dir under work
// and writes it as a tar to w.
func buildPythonRootfs(ctx context.Context, p *progress, r pythonRecipe, work string, w io.Writer) error {
	rootfs := filepath.Join(work, "rootfs-python")
	logPath := filepath.Join(work, "python-build.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	if err := removeRootfs(rootfs); err != nil {
		return err
	}
	defer removeRootfs(rootfs)

	p.logf("debootstrap %s %s into %s (about 70 s; log %s)", r.Suite, strings.Join(r.Include, ","), rootfs, logPath)
	args := []string{"--variant=" + r.Variant, "--include=" + strings.Join(r.Include, ","), r.Suite, rootfs, r.Mirror}
	if err := runLogged(ctx, logf, "", "debootstrap", args...); err != nil {
		return fmt.Errorf("%w (see %s)", err, logPath)
	}
	p.logf("trusting host CAs, removing EXTERNALLY-MANAGED, cleaning apt")
	for rel := range r.CAs {
		dst := filepath.Join(rootfs, hostCADir, rel)
		if err := copyFile(filepath.Join(hostCADir, rel), dst); err != nil {
			return err
		}
	}
	if err := runLogged(ctx, logf, "", "chroot", rootfs, "update-ca-certificates"); err != nil {
		return fmt.Errorf("%w (see %s)", err, logPath)
	}
	markers, _ := filepath.Glob(filepath.Join(rootfs, "usr/lib/python3*/EXTERNALLY-MANAGED"))
	for _, m := range markers {
		if err := os.Remove(m); err != nil {
			return err
		}
	}
	if err := runLogged(ctx, logf, "", "chroot", rootfs, "apt-get", "clean"); err != nil {
		return fmt.Errorf("%w (see %s)", err, logPath)
	}
	lists, _ := filepath.Glob(filepath.Join(rootfs, "var/lib/apt/lists/*"))
	for _, l := range lists {
		if err := os.RemoveAll(l); err != nil {
			return err
		}
	}
	p.logf("taring and compressing the rootfs")
	return tarRootfs(ctx, rootfs, w)
}

// tarRootfs writes rootfs as a tar to w: numeric owners, permissions kept,
// the contents of dev, proc and sys left out (the directories stay).
func tarRootfs(ctx context.Context, rootfs string, w io.Writer) error {
	entries, err := os.ReadDir(rootfs)
	if err != nil {
		return err
	}
	args := []string{"--numeric-owner", "--sort=name", "-cpf", "-", "-C", rootfs,
		"--anchored", "--exclude=dev/*", "--exclude=proc/*", "--exclude=sys/*"}
	for _, e := range entries { // sorted by name
		args = append(args, e.Name())
	}
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, "tar", args...)
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("tar: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// runLogged runs a command with its output appended to log.
func runLogged(ctx context.Context, log io.Writer, dir, name string, args ...string) error {
	fmt.Fprintf(log, "+ %s %s\n", name, strings.Join(args, " "))
	return run(ctx, log, dir, []string{"DEBIAN_FRONTEND=noninteractive"}, name, args...)
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
