package manifest

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// golang detects go.mod (with go.sum when present). Packages are the
// required module paths; a replace by a local directory adds that
// directory's go.mod to Files, since go mod download reads it.
func (d *detector) golang() (*Manifest, error) {
	if !d.has("go.mod") {
		return nil, nil
	}
	file := d.ctx("go.mod")
	data, err := d.read("go.mod")
	if err != nil {
		return nil, err
	}
	reqs, locals, err := parseGoMod(file, string(data))
	if err != nil {
		return nil, err
	}
	m := &Manifest{Ecosystem: GoMod, Files: []string{file}, Install: "go mod download",
		Caches: []string{"/go/pkg/mod", "/root/.cache/go-build"}}
	if d.has("go.sum") {
		m.Files = append(m.Files, d.ctx("go.sum"))
	}
	for _, l := range locals {
		target := path.Join(d.dir, l.dir, "go.mod")
		if !fs.ValidPath(target) {
			return nil, fmt.Errorf("%s:%d: replace => %s: outside the build context (keep replaced modules inside the context directory)", file, l.line, l.dir)
		}
		if fi, err := fs.Stat(d.fsys, target); err != nil || fi.IsDir() {
			return nil, fmt.Errorf("%s:%d: replace => %s: no such file %s (add the module to the build context, or drop the replace)", file, l.line, l.dir, target)
		}
		m.Files = append(m.Files, target)
	}
	m.Packages = sortedKeys(reqs)
	return m, nil
}

type goLocal struct {
	dir  string
	line int
}

// parseGoMod reads the require and replace directives of a go.mod.
func parseGoMod(file, data string) (map[string]bool, []goLocal, error) {
	reqs := map[string]bool{}
	var locals []goLocal
	block := ""
	for i, raw := range strings.Split(data, "\n") {
		n := i + 1
		line := raw
		if j := strings.Index(line, "//"); j >= 0 {
			line = line[:j]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		verb := block
		switch {
		case block != "" && f[0] == ")":
			block = ""
			continue
		case block == "" && len(f) == 2 && f[1] == "(":
			block = f[0]
			continue
		case block == "":
			verb, f = f[0], f[1:]
		}
		switch verb {
		case "require":
			if len(f) != 2 {
				return nil, nil, fmt.Errorf("%s:%d: malformed require (write: require module/path v1.2.3)", file, n)
			}
			mod, err := unquoteGo(f[0])
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%d: %v (fix the module path)", file, n, err)
			}
			reqs[mod] = true
		case "replace":
			k := indexOf(f, "=>")
			if k < 0 || k+1 >= len(f) {
				return nil, nil, fmt.Errorf("%s:%d: malformed replace (write: replace old => new v1.2.3, or => ../dir)", file, n)
			}
			target, err := unquoteGo(f[k+1])
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%d: %v (fix the replacement path)", file, n, err)
			}
			if len(f) == k+2 && (strings.HasPrefix(target, "./") || strings.HasPrefix(target, "../") || path.IsAbs(target)) {
				if path.IsAbs(target) {
					return nil, nil, fmt.Errorf("%s:%d: replace => %s: absolute path (use a path relative to go.mod inside the build context)", file, n, target)
				}
				locals = append(locals, goLocal{dir: target, line: n})
			}
		}
	}
	if block != "" {
		return nil, nil, fmt.Errorf("%s: %s ( block is not closed (add a line with ))", file, block)
	}
	return reqs, locals, nil
}

func unquoteGo(s string) (string, error) {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "`") {
		return strconv.Unquote(s)
	}
	return s, nil
}

func indexOf(f []string, s string) int {
	for i, x := range f {
		if x == s {
			return i
		}
	}
	return -1
}
