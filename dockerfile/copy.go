package dockerfile

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/stagebuild/stagebuild/plan"
)

// copyLine copies a context path as the plan does: a directory's contents
// into dest, relative to the workdir. COPY does the same; the step's owner,
// mode and exclusions become --chown, --chmod and --exclude, which the
// built-in frontend of BuildKit v0.28 reads without a # syntax= line.
func copyLine(pl *plan.Plan, step plan.Step, ctx fs.FS) (string, error) {
	parts := []string{"COPY"}
	if step.From != "" {
		parts = append(parts, "--from="+step.From) // a stage name, checked as one
	}
	for _, f := range []struct{ flag, what, value string }{{"chown", "copy owner", step.Chown}, {"chmod", "copy mode", step.Chmod}} {
		if f.value == "" {
			continue
		}
		w, err := flagValue(f.what, f.value)
		if err != nil {
			return "", err
		}
		parts = append(parts, "--"+f.flag+"="+w)
	}
	var excludes []string
	if step.From == "" && !isFile(ctx, step.Src) {
		excludes = excludesFor(pl.Context.Excludes, step.Src)
	}
	for _, p := range append(excludes, step.Exclude...) {
		w, err := flagValue("exclude pattern", p)
		if err != nil {
			return "", err
		}
		parts = append(parts, "--exclude="+w)
	}
	src, err1 := word("copy source", step.Src)
	dest, err2 := word("copy destination", step.Dest)
	switch {
	case err1 != nil:
		return "", err1
	case err2 != nil:
		return "", err2
	case src == step.Src && dest == step.Dest:
		parts = append(parts, src, dest)
	default:
		// COPY splits bare arguments on whitespace, quotes or not: use the
		// JSON form, whose elements the lexer only unescapes.
		parts = append(parts, jsonWords([]string{step.Src, step.Dest}))
	}
	return strings.Join(parts, " "), nil
}

func isFile(ctx fs.FS, src string) bool {
	if ctx == nil || strings.ContainsAny(src, "*?[") {
		return false
	}
	info, err := fs.Stat(ctx, src)
	return err == nil && info.Mode().IsRegular()
}

// excludesFor turns the context's exclude patterns into --exclude patterns
// of a COPY of src, which match relative to src.
func excludesFor(patterns []string, src string) []string {
	glob := strings.ContainsAny(src, "*?[")
	var out []string
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		switch {
		case src == "." || strings.HasPrefix(p, "**/"):
		case !glob && strings.HasPrefix(p, src+"/"):
			p = strings.TrimPrefix(p, src+"/")
		default:
			continue
		}
		p = path.Clean(p)
		if neg {
			p = "!" + p
		}
		out = append(out, p)
	}
	return out
}

// fileLine writes a file step's generated content with a COPY heredoc,
// which creates the file with mode 0644 and its missing parents, as
// stagebuild does. A heredoc ends every line with a newline, so content
// must end with one too.
func fileLine(step plan.Step) (string, error) {
	if step.Dest == "" || strings.HasSuffix(step.Dest, "/") {
		return "", fmt.Errorf("file step: destination %q is not a file path", step.Dest)
	}
	if step.Content != "" && !strings.HasSuffix(step.Content, "\n") {
		return "", fmt.Errorf("file step %s: content that does not end with a newline cannot be written with a Dockerfile heredoc", step.Dest)
	}
	// A heredoc COPY has no JSON form, and its arguments split on
	// whitespace: only a plain path can follow it.
	if dest, err := word("file destination", step.Dest); err != nil || dest != step.Dest {
		return "", fmt.Errorf("file step: destination %q must be a plain path to be written after a Dockerfile heredoc", step.Dest)
	}
	delim := "STAGEBUILD_EOF"
	for n := 1; hasLine(step.Content, delim); n++ {
		delim = fmt.Sprintf("STAGEBUILD_EOF_%d", n)
	}
	return "COPY <<'" + delim + "' " + step.Dest + "\n" + step.Content + delim, nil
}
