package state

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"

	"github.com/stagebuild/stagebuild/internal/atomicfile"
)

// Output is what stagebuild recorded of a tar output (type=oci or docker)
// it wrote: the key of what was exported into it (the image's manifest
// digest and the exporter's attributes) and the file as it was left.
type Output struct {
	Path    string `json:"path"`
	Key     string `json:"key"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	Inode   uint64 `json:"inode"`
	// ChangeTime (ctime) catches a file written in place whose size and
	// mtime were put back: nobody can set it back.
	ChangeTime int64 `json:"ctime_ns"`
}

// outputPath is <Dir>/outputs/<key>.json, the key being the first 16 hex
// digits of sha256(abs path).
func outputPath(abs string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, "outputs", hex.EncodeToString(sum[:])[:16]+".json"), nil
}

// Unchanged reports whether the file at abs is the one stagebuild wrote
// for key: recorded with that key, and with the same size, mtime, inode
// and ctime since.
func Unchanged(abs, key string) bool {
	rec, ok := written(abs)
	return ok && key != "" && rec.Key == key
}

// Written reports whether the file at abs is one stagebuild wrote, for
// any key, unchanged since (same size, mtime, inode and ctime).
func Written(abs string) bool {
	_, ok := written(abs)
	return ok
}

func written(abs string) (Output, bool) {
	path, err := outputPath(abs)
	if err != nil {
		return Output{}, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Output{}, false
	}
	var rec Output
	if json.Unmarshal(data, &rec) != nil || rec.Path != abs || rec.Key == "" {
		return Output{}, false
	}
	cur, ok := stat(abs)
	return rec, ok && cur.Size == rec.Size && cur.ModTime == rec.ModTime && cur.Inode == rec.Inode && cur.ChangeTime == rec.ChangeTime
}

// RecordOutput records the file at abs as just written for key. A file
// written without a key forgets any earlier record.
func RecordOutput(abs, key string) error {
	path, err := outputPath(abs)
	if err != nil {
		return err
	}
	rec, ok := stat(abs)
	if key == "" || !ok {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	rec.Path, rec.Key = abs, key
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o700, 0o600)
}

func stat(abs string) (Output, bool) {
	fi, err := os.Stat(abs)
	if err != nil || !fi.Mode().IsRegular() {
		return Output{}, false
	}
	o := Output{Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		o.Inode = st.Ino
	}
	o.ChangeTime = ctime(fi) // ctime_*.go
	return o, true
}
