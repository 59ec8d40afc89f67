package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

	"github.com/moby/patternmatcher/ignorefile"
)

// IgnoreFiles returns the ignore files read from the build context root, in
// this order; their patterns are added to the default excludes.
// .stagebuildignore is for what only stagebuild should skip, beside a
// .dockerignore shared with other tools.
func IgnoreFiles() []string { return []string{".dockerignore", ".stagebuildignore"} }

// readIgnores returns the patterns of the context's ignore files.
func readIgnores(fsys fs.FS) ([]string, error) {
	var out []string
	for _, name := range IgnoreFiles() {
		data, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		patterns, err := ignorefile.ReadAll(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, patterns...)
	}
	return out, nil
}
