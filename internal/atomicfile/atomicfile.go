// Package atomicfile owns writing a small file all at once: readers see the
// old content or the new, never a part, and a failed write leaves nothing.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to path through a temporary sibling that is renamed over
// it, creating path's directory with dirPerm if need be. The file gets perm.
func Write(path string, data []byte, dirPerm, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), dirPerm); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
