package initgen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stagebuild/stagebuild/manifest"
)

// testGroups are the dependency groups whose packages go to test_deps: the
// names manifest.Detect resolves to requirements-<g>.txt and the like, Poetry
// and uv groups, or Pipfile.lock's develop section.
var testGroups = []string{"test", "tests", "testing", "dev"}

var lockfiles = map[manifest.Ecosystem]string{manifest.Poetry: "poetry.lock", manifest.UV: "uv.lock", manifest.Pipenv: "Pipfile.lock"}

// detectPython runs manifest.Detect for the root directory and returns its
// Python manifest, or nil.
func (in *inspector) detectPython(groups []string) (*manifest.Manifest, error) {
	ms, err := manifest.Detect(in.fsys, ".", manifest.DetectOptions{Groups: groups})
	if err != nil {
		return nil, err
	}
	for i := range ms {
		switch ms[i].Ecosystem {
		case manifest.Pip, manifest.Poetry, manifest.UV, manifest.Pipenv:
			return &ms[i], nil
		}
	}
	return nil, nil
}

// deps fills the deps and test_deps installs.
func (in *inspector) deps() error {
	p := in.p
	p.Deps.Run = []string{"python -m venv --without-pip " + Venv}
	m, err := in.detectPython(nil)
	if err != nil {
		return &Error{fmt.Sprintf("reading the dependency manifests: %v", err)}
	}
	if m == nil {
		if in.py.declaresDependencies() {
			return &Error{"pyproject.toml declares dependencies but no lockfile pins them (run poetry lock or uv lock, or write a requirements.txt, then run stagebuild init again)"}
		}
		in.guessed("no requirements.txt, poetry.lock, uv.lock or Pipfile.lock: deps only creates the virtualenv")
		return nil
	}
	p.Manager, p.MainPackages = string(m.Ecosystem), m.Packages
	if m.Ecosystem == manifest.Pip {
		return in.pipDeps(m)
	}
	return in.lockDeps(m)
}

// groupsFound are the test groups manifest.Detect accepts for this project.
func (in *inspector) groupsFound() []string {
	var out []string
	for _, g := range testGroups {
		if _, err := in.detectPython([]string{g}); err == nil {
			out = append(out, g)
		}
	}
	return out
}

func (in *inspector) pipDeps(m *manifest.Manifest) error {
	p := in.p
	p.Deps.Copy = m.Files
	p.Deps.Run = append(p.Deps.Run, m.Install)
	in.detected("dependencies: %s (pip, %s)", strings.Join(m.Files, ", "), count(len(m.Packages), "package"))
	mainFiles := setOf(m.Files)
	var files []string
	for _, g := range in.groupsFound() {
		gm, err := in.detectPython([]string{g})
		if err != nil || gm == nil {
			continue
		}
		for _, f := range gm.Files {
			if !mainFiles[f] {
				mainFiles[f] = true
				files = append(files, f)
			}
		}
	}
	if len(files) == 0 {
		in.guessed("no test requirements (looked for requirements-test.txt, test_requirements.txt, requirements-dev.txt and the like): test_deps installs nothing")
		return nil
	}
	included, names := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		read, pkgs, err := manifest.ParseRequirements(in.fsys, f)
		if err != nil {
			return &Error{fmt.Sprintf("reading the test requirements: %v", err)}
		}
		for _, r := range read[1:] {
			included[r] = true
		}
		for _, n := range pkgs {
			names[n] = true
		}
	}
	install := "pip install"
	for _, f := range files {
		if !included[f] {
			install += " -r " + shellWord(f)
		}
	}
	p.TestDeps = Install{Copy: files, Run: []string{install}}
	p.TestPackages = minus(names, setOf(m.Packages))
	in.detected("test dependencies: %s (%s)", strings.Join(files, ", "), strings.Join(p.TestPackages, ", "))
	return nil
}

// lockDeps installs a lockfile through generated requirements files, since
// neither Poetry nor uv belongs in the image.
func (in *inspector) lockDeps(m *manifest.Manifest) error {
	p := in.p
	p.Lock = lockfiles[m.Ecosystem]
	p.Generated = append(p.Generated, File{LockRequirements, []byte(lockHeader(p.Lock, nil) + pins(generated(m), nil))})
	p.Deps.Copy = []string{LockRequirements}
	p.Deps.Run = append(p.Deps.Run, "pip install --no-deps -r "+LockRequirements)
	in.detected("dependencies: %s (%s, %s); %s is generated from it", p.Lock, m.Ecosystem, count(len(m.Packages), "package"), LockRequirements)
	groups := in.groupsFound()
	if len(groups) == 0 {
		in.guessed("no test or dev dependency group in %s (looked for %s): test_deps installs nothing", p.Lock, strings.Join(testGroups, ", "))
		return nil
	}
	gm, err := in.detectPython(groups)
	if err != nil {
		return &Error{fmt.Sprintf("reading the test dependency groups: %v", err)}
	}
	main := setOf(m.Packages)
	body := pins(generated(gm), main)
	if body == "" {
		in.guessed("the %s group of %s adds no package: test_deps installs nothing", strings.Join(groups, ", "), p.Lock)
		return nil
	}
	p.Generated = append(p.Generated, File{LockDevRequirements, []byte(lockHeader(p.Lock, groups) + body)})
	p.TestDeps = Install{Copy: []string{LockDevRequirements}, Run: []string{"pip install --no-deps -r " + LockDevRequirements}}
	p.TestPackages = minus(setOf(gm.Packages), main)
	in.detected("test dependencies: group %s of %s (%s); %s is generated from it",
		strings.Join(groups, ", "), p.Lock, strings.Join(p.TestPackages, ", "), LockDevRequirements)
	return nil
}

func lockHeader(lock string, groups []string) string {
	what := "the main dependencies"
	if len(groups) > 0 {
		what = "the packages that group " + strings.Join(groups, ", ") + " adds to the main dependencies"
	}
	return fmt.Sprintf("# Generated by `stagebuild init` from %s: %s, pinned, for pip install --no-deps.\n"+
		"# Do not edit; regenerate it with `stagebuild init --force` after changing %s.\n", lock, what, lock)
}

// generated is the content of the manifest's one generated file.
func generated(m *manifest.Manifest) string {
	for _, v := range m.Generated {
		return v
	}
	return ""
}

// pins returns the requirement entries of a generated requirements file
// (each with its --hash continuation lines), without comments and without
// the packages in skip.
func pins(content string, skip map[string]bool) string {
	var b strings.Builder
	keep := false
	for _, l := range strings.Split(content, "\n") {
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
			continue
		case l[0] == ' ' || l[0] == '\t':
			if keep {
				b.WriteString(l + "\n")
			}
			continue
		}
		name := l
		if i := strings.IndexAny(l, "=<>!~;[ "); i >= 0 {
			name = l[:i]
		}
		keep = !skip[manifest.NormalizeName(name)]
		if keep {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func setOf(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// minus returns the sorted members of a that are not in b.
func minus(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
