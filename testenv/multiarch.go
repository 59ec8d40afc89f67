package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// MultiarchBusybox is the multi-platform busybox the test env pushes, as a
// pipeline names it: an index of linux/amd64 (the host's busybox) and
// linux/arm64 (Debian's busybox-static for arm64, run under QEMU). A name
// of its own, so busybox:latest and the digests built on it stay as they are.
const MultiarchBusybox = "busybox-multiarch:latest"

const (
	binfmtDir    = "/proc/sys/fs/binfmt_misc"
	qemuAarch64  = "/usr/bin/qemu-aarch64-static"
	aarch64Conf  = "/usr/lib/binfmt.d/qemu-aarch64.conf"
	aarch64Entry = binfmtDir + "/qemu-aarch64"
)

// ensureQEMU makes the kernel run aarch64 binaries with Debian's
// qemu-user-static: binfmt_misc mounted, the package installed, and its
// aarch64 handler registered with the F (fix-binary) flag, so that the
// interpreter is opened now and works inside runc's containers. buildkitd
// needs no restart: an exec for another platform simply runs, and the
// daemon lists the platform at its next ListWorkers.
func ensureQEMU(ctx context.Context, p *progress) error {
	if _, err := os.Stat(binfmtDir + "/register"); err != nil {
		p.logf("mounting binfmt_misc")
		if err := run(ctx, p.w, "", nil, "mount", "-t", "binfmt_misc", "binfmt_misc", binfmtDir); err != nil {
			return fmt.Errorf("mounting binfmt_misc: %w", err)
		}
	}
	if _, err := os.Stat(qemuAarch64); err != nil {
		p.logf("missing %s: apt-get install qemu-user-static", qemuAarch64)
		env := []string{"DEBIAN_FRONTEND=noninteractive"}
		if err := run(ctx, p.w, "", env, "apt-get", "install", "-y", "--no-install-recommends", "qemu-user-static"); err != nil {
			if err := run(ctx, p.w, "", nil, "apt-get", "update"); err != nil {
				return fmt.Errorf("installing qemu-user-static: apt-get update: %w", err)
			}
			if err := run(ctx, p.w, "", env, "apt-get", "install", "-y", "--no-install-recommends", "qemu-user-static"); err != nil {
				return fmt.Errorf("installing qemu-user-static: %w", err)
			}
		}
	}
	if cur, err := os.ReadFile(aarch64Entry); err == nil {
		if bytes.HasPrefix(cur, []byte("enabled")) && strings.Contains(binfmtFlags(string(cur)), "F") {
			return nil
		}
		// Registered without F (or disabled): runc's containers cannot
		// reach the interpreter. Replace it.
		if err := os.WriteFile(aarch64Entry, []byte("-1"), 0o200); err != nil {
			return fmt.Errorf("removing the aarch64 binfmt handler registered without F: %w", err)
		}
	}
	conf, err := os.ReadFile(aarch64Conf)
	if err != nil {
		return fmt.Errorf("registering QEMU for aarch64: %w", err)
	}
	line := strings.TrimSpace(string(conf))
	if fields := strings.Split(line, ":"); len(fields) == 7 && !strings.Contains(fields[6], "F") {
		line += "F"
	}
	p.logf("registering %s for aarch64 binaries (binfmt_misc, fix-binary)", qemuAarch64)
	if err := os.WriteFile(binfmtDir+"/register", []byte(line), 0o200); err != nil {
		return fmt.Errorf("registering QEMU for aarch64 (%s): %w", aarch64Conf, err)
	}
	return nil
}

// binfmtFlags is the "flags:" line of a binfmt_misc entry.
func binfmtFlags(entry string) string {
	for _, l := range strings.Split(entry, "\n") {
		if f, ok := strings.CutPrefix(l, "flags:"); ok {
			return strings.TrimSpace(f)
		}
	}
	return ""
}

// arm64Busybox returns Debian's static busybox for arm64, downloaded once
// with apt (arm64 added as a foreign architecture) and kept in the state
// dir.
func arm64Busybox(ctx context.Context, p *progress, state string) ([]byte, error) {
	cached := filepath.Join(state, "testenv", "busybox-arm64")
	if b, err := os.ReadFile(cached); err == nil {
		return b, nil
	}
	p.logf("downloading busybox-static:arm64 with apt (about 45 s, once)")
	if out, _ := exec.CommandContext(ctx, "dpkg", "--print-foreign-architectures").Output(); !strings.Contains(string(out), "arm64") {
		if err := run(ctx, p.w, "", nil, "dpkg", "--add-architecture", "arm64"); err != nil {
			return nil, fmt.Errorf("adding arm64 to dpkg: %w", err)
		}
		if err := run(ctx, p.w, "", nil, "apt-get", "update"); err != nil {
			return nil, fmt.Errorf("apt-get update for arm64: %w", err)
		}
	}
	work, err := os.MkdirTemp(filepath.Join(state, "testenv"), "busybox-arm64-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	// apt's sandbox user must be able to write the download.
	if err := os.Chmod(work, 0o777); err != nil {
		return nil, err
	}
	if err := run(ctx, p.w, work, nil, "apt-get", "download", "busybox-static:arm64"); err != nil {
		return nil, fmt.Errorf("apt-get download busybox-static:arm64: %w", err)
	}
	debs, _ := filepath.Glob(filepath.Join(work, "busybox-static_*_arm64.deb"))
	if len(debs) != 1 {
		return nil, fmt.Errorf("apt-get download busybox-static:arm64 left %d .deb files", len(debs))
	}
	if err := run(ctx, p.w, "", nil, "dpkg-deb", "-x", debs[0], filepath.Join(work, "root")); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(work, "root", "bin", "busybox"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(cached+".tmp", b, 0o755); err != nil {
		return nil, err
	}
	return b, os.Rename(cached+".tmp", cached)
}

// ensureMultiarchBusybox pushes MultiarchBusybox: an OCI index of a
// linux/amd64 and a linux/arm64 busybox image, each laid out as
// busybox:latest is. It is assembled in memory (a few MB) and pushed only
// when the registry's tag has another digest.
func ensureMultiarchBusybox(ctx context.Context, p *progress, state string) error {
	host, err := os.ReadFile(busyboxPath)
	if err != nil {
		return fmt.Errorf("multi-platform busybox: %w", err)
	}
	arm, err := arm64Busybox(ctx, p, state)
	if err != nil {
		return fmt.Errorf("multi-platform busybox: %w", err)
	}
	idx := v1.ImageIndex(mutate.IndexMediaType(empty.Index, types.OCIImageIndex))
	for _, b := range []struct {
		arch string
		bin  []byte
	}{{"amd64", host}, {"arm64", arm}} {
		img, err := busyboxFor(ctx, b.arch, b.bin)
		if err != nil {
			return fmt.Errorf("multi-platform busybox (%s): %w", b.arch, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: b.arch}}})
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	ref, err := name.NewTag(RegistryAddr+"/library/"+MultiarchBusybox, name.Insecure)
	if err != nil {
		return err
	}
	if desc, err := remote.Head(ref, remote.WithContext(ctx)); err == nil && desc.Digest == digest {
		return nil
	}
	p.logf("pushing %s (linux/amd64, linux/arm64)", ref)
	return remote.WriteIndex(ref, idx, remote.WithContext(ctx))
}

// busyboxFor is a one-layer busybox image for arch, its config as
// busybox:latest's.
func busyboxFor(ctx context.Context, arch string, bin []byte) (v1.Image, error) {
	var tarBuf bytes.Buffer
	if err := writeBusyboxRootfs(ctx, bin, &tarBuf); err != nil {
		return nil, err
	}
	data := tarBuf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	return oneLayerImage(layer, arch, v1.Config{Env: []string{basePath}, Cmd: []string{"sh"}})
}
