package testenv

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// busyboxRecipe is everything the busybox rootfs depends on.
type busyboxRecipe struct {
	BusyboxSHA256 string
	Layout        string
}

// busyboxImage is library/busybox:latest, also tagged 1.37 (the tag the uv
// stage that stagebuild init writes unpacks uv's wheel in): the host's
// static busybox with a symlink per applet in /bin.
func busyboxImage() (imageSpec, error) {
	b, err := os.ReadFile(busyboxPath)
	if err != nil {
		return imageSpec{}, fmt.Errorf("building busybox image: %w", err)
	}
	sum := sha256.Sum256(b)
	r := busyboxRecipe{
		BusyboxSHA256: hex.EncodeToString(sum[:]),
		Layout:        "/bin/busybox + /bin applet symlinks, /etc/passwd+group (root), /root, /tmp",
	}
	return imageSpec{
		name:   "busybox",
		repo:   "library/busybox",
		tags:   []string{"latest", "1.37"},
		recipe: r,
		config: v1.Config{Env: []string{basePath}, Cmd: []string{"sh"}},
		build: func(ctx context.Context, p *progress, _ string, w io.Writer) error {
			p.logf("building busybox rootfs from %s", busyboxPath)
			return writeBusyboxRootfs(ctx, b, w)
		},
	}, nil
}

// writeBusyboxRootfs writes a deterministic tar of the busybox rootfs.
func writeBusyboxRootfs(ctx context.Context, busybox []byte, w io.Writer) error {
	out, err := exec.CommandContext(ctx, busyboxPath, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox --list: %w", err)
	}
	tw := tar.NewWriter(w)
	hdr := func(name string, typ byte, mode int64, link string) *tar.Header {
		return &tar.Header{Name: name, Typeflag: typ, Mode: mode, Linkname: link, ModTime: imageCreated}
	}
	files := []struct {
		h    *tar.Header
		body []byte
	}{
		{hdr("bin/", tar.TypeDir, 0o755, ""), nil},
		{hdr("bin/busybox", tar.TypeReg, 0o755, ""), busybox},
		{hdr("etc/", tar.TypeDir, 0o755, ""), nil},
		{hdr("etc/group", tar.TypeReg, 0o644, ""), []byte("root:x:0:\n")},
		{hdr("etc/passwd", tar.TypeReg, 0o644, ""), []byte("root:x:0:0:root:/root:/bin/sh\n")},
		{hdr("root/", tar.TypeDir, 0o700, ""), nil},
		{hdr("tmp/", tar.TypeDir, 0o1777, ""), nil},
	}
	for _, f := range files {
		f.h.Size = int64(len(f.body))
		if err := tw.WriteHeader(f.h); err != nil {
			return err
		}
		if _, err := tw.Write(f.body); err != nil {
			return err
		}
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		if err := tw.WriteHeader(hdr("bin/"+applet, tar.TypeSymlink, 0o777, "busybox")); err != nil {
			return err
		}
	}
	return tw.Close()
}
