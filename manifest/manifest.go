package manifest

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Ecosystem names a package manager.
type Ecosystem string

const (
	Pip    Ecosystem = "pip"
	Poetry Ecosystem = "poetry"
	UV     Ecosystem = "uv"
	Pipenv Ecosystem = "pipenv"
	NPM    Ecosystem = "npm"
	Yarn   Ecosystem = "yarn"
	PNPM   Ecosystem = "pnpm"
	GoMod  Ecosystem = "go"
)

// Manifest is one detected dependency manifest set in a directory of the
// build context.
//
// Install runs in the stage's workdir, which stands for the detected
// directory: each of Files is copied to its path relative to that directory
// (so "svc/requirements.txt" detected in "svc" lands at
// <workdir>/requirements.txt) and each Generated key is written below the
// workdir.
type Manifest struct {
	Ecosystem Ecosystem `json:"ecosystem"`
	// Files are the context-relative (slash) paths that feed the install:
	// the manifests, lockfiles and every file pulled in by -r/-c includes.
	// Only these are copied before the install.
	Files []string `json:"files"`
	// Generated are files the planner writes into the install layer
	// instead of copying originals, keyed by image-relative path (relative
	// to the workdir).
	Generated map[string]string `json:"generated,omitempty"`
	// Install is the shell command that installs only the dependencies
	// (never the project itself).
	Install string `json:"install"`
	// Caches are cache-mount targets for the install.
	Caches []string `json:"caches"`
	// Packages are the normalised (PEP 503 for Python) names of the
	// packages this install puts in the image.
	Packages []string `json:"packages"`
}

// DetectOptions select what to install.
type DetectOptions struct {
	// Groups are the dependency groups to install besides main (e.g.
	// "dev", "test"). Empty = main/prod only. "main" itself is implied.
	Groups []string
}

// Detect finds the dependency manifests directly in dir (slash path
// relative to fsys root; "." for the root). Precedence when several exist
// in one dir: uv.lock > poetry.lock > Pipfile.lock > requirements files;
// for Node pnpm-lock.yaml > yarn.lock > package-lock.json; go.mod. Python,
// Node and Go can coexist: at most one manifest of each is returned, in
// that order.
func Detect(fsys fs.FS, dir string, opts DetectOptions) ([]Manifest, error) {
	dir = path.Clean(dir)
	if !fs.ValidPath(dir) {
		return nil, fmt.Errorf("%s: not a path inside the build context (give a relative slash path such as \".\" or \"svc/api\")", dir)
	}
	d := &detector{fsys: fsys, dir: dir}
	seen := map[string]bool{}
	for _, g := range opts.Groups {
		g = strings.TrimSpace(g)
		if g != "" && g != "main" && !seen[g] {
			seen[g] = true
			d.groups = append(d.groups, g)
		}
	}
	var out []Manifest
	for _, detect := range []func() (*Manifest, error){d.python, d.node, d.golang} {
		m, err := detect()
		if err != nil {
			return nil, err
		}
		if m != nil {
			out = append(out, *m)
		}
	}
	return out, nil
}

// IsManifest reports whether a context-relative path names a dependency
// manifest or lockfile of any supported ecosystem: requirements*.txt,
// *-requirements.txt, *_requirements.txt, requirements/*.txt,
// pyproject.toml, poetry.lock, uv.lock, Pipfile, Pipfile.lock,
// package.json, package-lock.json, yarn.lock, pnpm-lock.yaml, go.mod and
// go.sum.
func IsManifest(p string) bool {
	p = path.Clean(p)
	base := path.Base(p)
	switch base {
	case "pyproject.toml", "poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock",
		"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "go.mod", "go.sum":
		return true
	}
	if !strings.HasSuffix(base, ".txt") {
		return false
	}
	stem := strings.TrimSuffix(base, ".txt")
	return strings.HasPrefix(stem, "requirements") || strings.HasSuffix(stem, "-requirements") ||
		strings.HasSuffix(stem, "_requirements") || path.Base(path.Dir(p)) == "requirements"
}

// NormalizeName is PEP 503 normalisation: lowercase, runs of [-_.] become
// a single "-".
func NormalizeName(s string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(s) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteRune(r)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

// detector looks at one directory of the build context.
type detector struct {
	fsys   fs.FS
	dir    string
	groups []string
}

// ctx is the context-relative path of a file in the directory.
func (d *detector) ctx(name string) string { return path.Join(d.dir, name) }

// has reports whether a regular file exists in the directory.
func (d *detector) has(name string) bool {
	fi, err := fs.Stat(d.fsys, d.ctx(name))
	return err == nil && !fi.IsDir()
}

func (d *detector) read(name string) ([]byte, error) {
	data, err := fs.ReadFile(d.fsys, d.ctx(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.ctx(name), unwrapPathErr(err))
	}
	return data, nil
}

// rel turns a context-relative path into one relative to the directory,
// the form Install commands use.
func (d *detector) rel(p string) string {
	if d.dir == "." {
		return p
	}
	if strings.HasPrefix(p, d.dir+"/") {
		return strings.TrimPrefix(p, d.dir+"/")
	}
	up := strings.Repeat("../", strings.Count(d.dir, "/")+1)
	return up + p
}

func (d *detector) python() (*Manifest, error) {
	switch {
	case d.has("uv.lock"):
		return d.uv()
	case d.has("poetry.lock"):
		return d.poetry()
	case d.has("Pipfile.lock"):
		return d.pipenv()
	}
	if m, err := d.requirements(); m != nil || err != nil {
		return m, err
	}
	if d.has("Pipfile") {
		return nil, fmt.Errorf("%s: no Pipfile.lock next to it (run pipenv lock and add Pipfile.lock to the build context)", d.ctx("Pipfile"))
	}
	return nil, nil
}
