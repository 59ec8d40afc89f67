package build

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// extractTar unpacks a tar export into dir. type=local is implemented as a
// tar export unpacked here, because BuildKit's own local exporter can
// deadlock on large trees (moby/buildkit#2950, #4453). Entries that would
// land outside dir are refused.
func extractTar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	var times []entryTime // mtimes, set once every entry is written
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return restoreTimes(times)
		}
		if err != nil {
			return err
		}
		target, err := within(dir, h.Name)
		if err != nil {
			return err
		}
		if target == dir {
			continue
		}
		mode := os.FileMode(h.Mode).Perm() | os.FileMode(h.Mode)&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			err = os.Chmod(target, mode)
		case tar.TypeReg:
			err = writeFile(target, tr, mode)
		case tar.TypeSymlink:
			_ = os.Remove(target)
			err = os.Symlink(h.Linkname, target)
		case tar.TypeLink:
			var src string
			if src, err = within(dir, h.Linkname); err == nil {
				_ = os.Remove(target)
				err = os.Link(src, target)
			}
		default:
			// Device nodes and fifos are skipped, as the local exporter
			// does for an unprivileged client.
			continue
		}
		if err != nil {
			return fmt.Errorf("unpacking %s: %w", h.Name, err)
		}
		if h.Typeflag != tar.TypeSymlink {
			times = append(times, entryTime{target, h.ModTime})
		}
	}
}

func within(dir, name string) (string, error) {
	target := filepath.Join(dir, filepath.Clean("/"+name))
	if target != dir && !strings.HasPrefix(target, dir+string(filepath.Separator)) {
		return "", fmt.Errorf("tar entry %q leaves the output directory", name)
	}
	return target, nil
}

func writeFile(path string, r io.Reader, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}
