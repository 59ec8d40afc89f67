package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stagebuild/stagebuild/plan"
)

// contextPath makes p a slash path relative to the context dir. A relative
// p is taken relative to the context when it exists there, else relative to
// the current directory when that lands inside the context.
func contextPath(contextDir, p string) (string, error) {
	absCtx, err := filepath.Abs(contextDir)
	if err != nil {
		return "", err
	}
	cand := filepath.Clean(p)
	if !filepath.IsAbs(p) {
		if _, err := os.Lstat(filepath.Join(absCtx, cand)); err != nil {
			if abs, err := filepath.Abs(p); err == nil && inside(absCtx, abs) {
				cand = abs
			}
		}
	}
	if filepath.IsAbs(cand) {
		if cand, err = filepath.Rel(absCtx, cand); err != nil {
			return "", err
		}
	}
	if cand == ".." || strings.HasPrefix(cand, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("--changed %s: outside the build context %s", p, contextDir)
	}
	return filepath.ToSlash(cand), nil
}

func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func describeChange(c plan.Change) string {
	if c.Stage != "" {
		return fmt.Sprintf("%s: %s (%s step %d)", c.Kind, c.Detail, c.Stage, c.Step+1)
	}
	return strings.TrimSpace(fmt.Sprintf("%s: %s %s", c.Kind, c.Path, c.Detail))
}

func sortedFiles(m map[string]string) []string {
	files := make([]string, 0, len(m))
	for f := range m {
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}
