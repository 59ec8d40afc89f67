package initgen

import (
	"io/fs"
	"path"
	"sort"
	"strings"
)

// notSource are top-level directories that never hold the service's code.
var notSource = map[string]bool{"tests": true, "test": true, "docs": true, "doc": true, "examples": true,
	"scripts": true, "build": true, "dist": true, "venv": true, "env": true, "node_modules": true,
	"site-packages": true, "testdata": true, "src": true}

// notModule are top-level Python files that are tooling, not the service.
var notModule = map[string]bool{"setup.py": true, "conftest.py": true, "noxfile.py": true}

func isDir(fsys fs.FS, name string) bool {
	fi, err := fs.Stat(fsys, name)
	return err == nil && fi.IsDir()
}

func isFile(fsys fs.FS, name string) bool {
	fi, err := fs.Stat(fsys, name)
	return err == nil && fi.Mode().IsRegular()
}

// packagesIn lists the packages (directories with __init__.py) and the
// Python modules directly in dir.
func packagesIn(fsys fs.FS, dir string, skip bool) (pkgs, modules []string) {
	entries, _ := fs.ReadDir(fsys, dir)
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") && e.IsDir() {
			continue
		}
		switch {
		case e.IsDir():
			if (!skip || !notSource[name]) && isFile(fsys, path.Join(dir, name, "__init__.py")) {
				pkgs = append(pkgs, name)
			}
		case strings.HasSuffix(name, ".py") && e.Type().IsRegular() && !notModule[name]:
			modules = append(modules, name)
		}
	}
	return pkgs, modules
}

// sources finds the code: a src/ layout, top-level packages, or top-level
// modules.
func (in *inspector) sources() error {
	p := in.p
	want := strings.ReplaceAll(strings.ToLower(in.py.name()), "-", "_")
	if isDir(in.fsys, "src") {
		pkgs, mods := packagesIn(in.fsys, "src", false)
		if len(pkgs)+len(mods) > 0 {
			p.SrcLayout, p.Sources, p.PythonPath = true, []string{"src"}, Workdir+"/src"
			p.Package = pickPackage(pkgs, mods, want)
			in.detected("source: src/ layout, package %s (PYTHONPATH %s)", p.Package, p.PythonPath)
			return nil
		}
	}
	pkgs, mods := packagesIn(in.fsys, ".", true)
	if len(pkgs)+len(mods) == 0 {
		return &Error{"no Python code found (looked for a directory with __init__.py, src/<package>/, or top-level .py files); run stagebuild init in the project's root directory"}
	}
	p.PythonPath = Workdir
	p.Sources = append(append(p.Sources, pkgs...), mods...)
	p.Package = pickPackage(pkgs, mods, want)
	switch {
	case len(pkgs) == 0:
		in.detected("source: top-level modules %s", strings.Join(mods, ", "))
	case len(pkgs) == 1:
		in.detected("source package: %s", p.Package)
	default:
		in.guessed("main package: %s (of %s; all are copied)", p.Package, strings.Join(pkgs, ", "))
	}
	if len(pkgs) > 0 && len(mods) > 0 {
		in.detected("top-level modules copied beside the package: %s", strings.Join(mods, ", "))
	}
	for _, d := range []string{"templates", "static"} {
		if isDir(in.fsys, d) && len(pkgs) == 0 {
			p.Sources = append(p.Sources, d)
			in.guessed("%s/ belongs to the service: it is copied with the modules", d)
		}
	}
	return nil
}

// pickPackage is the package named like the project, else the first
// package, else the first module's name.
func pickPackage(pkgs, mods []string, want string) string {
	for _, c := range pkgs {
		if c == want {
			return c
		}
	}
	if len(pkgs) > 0 {
		return pkgs[0]
	}
	sort.SliceStable(mods, func(i, j int) bool { return mods[i] == want+".py" && mods[j] != want+".py" })
	return strings.TrimSuffix(mods[0], ".py")
}
