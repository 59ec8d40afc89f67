package build

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// type=local is a tar export unpacked here, because BuildKit's own local
// exporter can deadlock on large trees (moby/buildkit#2950, #4453). It keeps
// the semantics of BuildKit's local exporter (fsutil's DiskWriter):
//
//   - the export is written over dest: a directory of the export merges into
//     an existing directory of dest, and an entry of dest that the export
//     does not name is kept;
//   - a file, symlink or hardlink of the export replaces a non-directory at
//     the same path of dest (a symlink there is replaced, never followed);
//   - unlike BuildKit, which removes a whole directory of dest that the
//     export has a file in place of, stagebuild refuses: it never removes
//     a tree it did not write.
//
// Beyond BuildKit, for a client that is not the image's owner: setuid and
// setgid bits are dropped, device nodes and fifos are skipped, and a
// directory gets its (possibly read-only) mode and its mtime only once it
// is filled. Every write goes through an os.Root, so no entry, symlink or
// hardlink of a hostile tar can reach outside the output directory.

// unpacked is what extraction leaves to do once every entry is in place.
type unpacked struct {
	meta []entryMeta // in tar order
}

// entryMeta is the mode and mtime an entry at rel gets at the end.
type entryMeta struct {
	rel   string
	mode  os.FileMode
	mtime time.Time
	dir   bool
}

// extractTar unpacks a tar export into dir and gives the entries their
// modes and mtimes.
func extractTar(r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	u, err := unpackInto(r, root)
	if err != nil {
		return err
	}
	return u.finish(root)
}

// unpackInto writes the tar's entries into root with writable directories.
func unpackInto(r io.Reader, root *os.Root) (*unpacked, error) {
	tr := tar.NewReader(r)
	u := &unpacked{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return u, nil
		}
		if err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if rel == "" {
			continue
		}
		if err := unpackEntry(root, tr, h, rel); err != nil {
			return nil, fmt.Errorf("unpacking %s: %w", h.Name, err)
		}
		// setuid and setgid never survive; the sticky bit does.
		mode := os.FileMode(h.Mode & 0o777)
		if h.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeReg, tar.TypeLink:
			u.meta = append(u.meta, entryMeta{rel: rel, mode: mode, mtime: h.ModTime, dir: h.Typeflag == tar.TypeDir})
		}
	}
}

func unpackEntry(root *os.Root, tr *tar.Reader, h *tar.Header, rel string) error {
	if d := path.Dir(rel); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	switch h.Typeflag {
	case tar.TypeDir:
		fi, err := root.Lstat(rel)
		if err == nil && fi.IsDir() {
			return root.Chmod(rel, 0o755) // writable until finish
		}
		if err := removeNonDir(root, rel); err != nil {
			return err
		}
		return root.Mkdir(rel, 0o755)
	case tar.TypeReg:
		if err := removeNonDir(root, rel); err != nil {
			return err
		}
		f, err := root.OpenFile(rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case tar.TypeSymlink:
		if err := removeNonDir(root, rel); err != nil {
			return err
		}
		return root.Symlink(h.Linkname, rel)
	case tar.TypeLink:
		src := strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")
		fi, err := root.Lstat(src)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("hardlink to %s, which is not a regular file", h.Linkname)
		}
		if err := removeNonDir(root, rel); err != nil {
			return err
		}
		return root.Link(src, rel)
	}
	// Device nodes and fifos are skipped, as the local exporter does for
	// an unprivileged client.
	return nil
}

// removeNonDir clears rel for a new entry: a file or symlink there goes, a
// directory is refused.
func removeNonDir(root *os.Root, rel string) error {
	fi, err := root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory and the export has a file there (remove it first; stagebuild does not delete directories it did not write)", rel)
	}
	return root.Remove(rel)
}

// finish gives every entry its mode and mtime, deepest first, so that a
// read-only directory is closed only after it was filled.
func (u *unpacked) finish(root *os.Root) error {
	for i := len(u.meta) - 1; i >= 0; i-- {
		m := u.meta[i]
		if err := root.Chmod(m.rel, m.mode); err != nil {
			return fmt.Errorf("setting the mode of %s: %w", m.rel, err)
		}
	}
	// mtimes after modes: chmod does not touch them, but filling does.
	for i := len(u.meta) - 1; i >= 0; i-- {
		m := u.meta[i]
		if err := root.Chtimes(m.rel, m.mtime, m.mtime); err != nil {
			return fmt.Errorf("setting the mtime of %s: %w", m.rel, err)
		}
	}
	return nil
}

// mergeInto moves the unpacked tree src over the existing directory dest,
// both relative to root, with BuildKit's local exporter semantics (see
// above): directories merge, non-directories are replaced, entries of dest
// that src does not name stay. It descends only into entries that Lstat as
// real directories, so no symlink of dest is followed.
func mergeInto(root *os.Root, src, dest string) error {
	f, err := root.Open(src)
	if err != nil {
		return err
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		s, d := path.Join(src, e.Name()), path.Join(dest, e.Name())
		fi, err := root.Lstat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			err = root.Rename(s, d)
		case err != nil:
		case e.IsDir() && fi.IsDir():
			err = mergeInto(root, s, d)
		case fi.IsDir():
			err = fmt.Errorf("%s is a directory and the export has a file there (remove it first; stagebuild does not delete directories it did not write)",
				filepath.FromSlash(d))
		default:
			if err = root.Remove(d); err == nil {
				err = root.Rename(s, d)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
