package state

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/stagebuild/stagebuild/internal/atomicfile"

	"github.com/stagebuild/stagebuild/plan"
)

// Record is what the last successful build of a context and pipeline
// file read: the digests of its steps' inputs and the arg values it used.
type Record struct {
	*plan.Inputs
	Context      string            `json:"context"`
	PipelineFile string            `json:"pipeline_file"`
	Args         map[string]string `json:"args,omitempty"`
}

// recordPath is <StateDir>/records/<key>.json, the key being the first 16
// hex digits of sha256(abs context dir + "\x00" + abs pipeline file).
func recordPath(contextDir, file string) (absCtx, absFile, path string, err error) {
	if absCtx, err = filepath.Abs(contextDir); err != nil {
		return "", "", "", err
	}
	if absFile, err = filepath.Abs(file); err != nil {
		return "", "", "", err
	}
	sum := sha256.Sum256([]byte(absCtx + "\x00" + absFile))
	dir, err := Dir()
	if err != nil {
		return "", "", "", err
	}
	path = filepath.Join(dir, "records", hex.EncodeToString(sum[:])[:16]+".json")
	return absCtx, absFile, path, nil
}

// WriteRecord records the inputs of a successful build of pl from
// contextDir and file, with the arg values it used, for `stagebuild plan`.
// The write is atomic.
func WriteRecord(contextDir, file string, args map[string]string, pl *plan.Plan) error {
	absCtx, absFile, path, err := recordPath(contextDir, file)
	if err != nil {
		return err
	}
	in, err := plan.ComputeInputs(contextDir, pl)
	if err != nil {
		return err
	}
	data, err := json.Marshal(Record{Inputs: in, Context: absCtx, PipelineFile: absFile, Args: args})
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o700, 0o600)
}

// LoadRecord returns the record of the last successful build of contextDir
// and file, or nil when there is none.
func LoadRecord(contextDir, file string) (*Record, error) {
	_, _, path, err := recordPath(contextDir, file)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec := &Record{Inputs: &plan.Inputs{}}
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("%s: %w (delete it, or build again)", path, err)
	}
	return rec, nil
}
