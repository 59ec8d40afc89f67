package manifest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

type uvDep struct {
	Name    string   `toml:"name"`
	Version string   `toml:"version"`
	Extra   []string `toml:"extra"`
	Marker  string   `toml:"marker"`
}

type uvHash struct {
	Hash string `toml:"hash"`
}

type uvPackage struct {
	Name                 string             `toml:"name"`
	Version              string             `toml:"version"`
	Source               map[string]any     `toml:"source"`
	Dependencies         []uvDep            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDep `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDep `toml:"dev-dependencies"`
	Sdist                *uvHash            `toml:"sdist"`
	Wheels               []uvHash           `toml:"wheels"`
}

type uvLock struct {
	Version int         `toml:"version"`
	Package []uvPackage `toml:"package"`
}

const uvReqs = ".stagebuild/requirements-uv.txt"

// uv installs uv.lock through pip: the registry packages reachable from the
// project (source editable or virtual ".") through its dependencies and
// the requested dev-dependency groups or extras, pinned with their sdist
// and wheel hashes. Files is empty: uv.lock records the project's own
// version, so copying it would bust the layer on every version bump, and
// the generated file holds everything the install needs.
func (d *detector) uv() (*Manifest, error) {
	file := d.ctx("uv.lock")
	data, err := d.read("uv.lock")
	if err != nil {
		return nil, err
	}
	var lock uvLock
	if err := toml.Unmarshal(data, &lock); err != nil {
		return nil, tomlErr(file, err, "regenerate it with uv lock")
	}
	if lock.Version != 1 {
		return nil, fmt.Errorf("%s: lock version %d is not supported (stagebuild reads version 1; regenerate it with a current uv lock)", file, lock.Version)
	}
	nodes := map[string][]*gnode{}
	pkgOf := map[*gnode]*uvPackage{}
	var projects []*uvPackage
	for i := range lock.Package {
		p := &lock.Package[i]
		n := &gnode{name: NormalizeName(p.Name), version: p.Version, deps: uvEdges(p.Dependencies), extras: map[string][]gedge{}}
		for x, deps := range p.OptionalDependencies {
			n.extras[NormalizeName(x)] = uvEdges(deps)
		}
		nodes[n.name] = append(nodes[n.name], n)
		pkgOf[n] = p
		if s := uvLocal(p); s == "." {
			projects = append(projects, p)
		}
	}
	if len(projects) == 0 { // a virtual workspace root: every member is a project
		for i := range lock.Package {
			if s := uvLocal(&lock.Package[i]); s != "" {
				projects = append(projects, &lock.Package[i])
			}
		}
	}
	if len(projects) == 0 {
		return nil, fmt.Errorf("%s: no project package (source editable or virtual \".\") in the lock (regenerate it with uv lock in %s)", file, d.dir)
	}
	var roots []gedge
	for _, p := range projects {
		roots = append(roots, gedge{name: p.Name, version: p.Version})
	}
	for _, g := range d.groups {
		known, found := map[string]bool{}, false
		for _, p := range projects {
			for _, set := range []map[string][]uvDep{p.DevDependencies, p.OptionalDependencies} {
				for k := range set {
					known[k] = true
				}
				if deps, ok := set[g]; ok {
					roots, found = append(roots, uvEdges(deps)...), true
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: the project has no dependency group or extra %q (known: %s; fix the group name)", file, g, strings.Join(sortedKeys(known), ", "))
		}
	}
	lookup := func(name, version string) []*gnode {
		var out []*gnode
		for _, n := range nodes[name] {
			if version == "" || n.version == version {
				out = append(out, n)
			}
		}
		return out
	}
	var pins []pin
	seen := map[string]bool{}
	for n, marker := range walkGraph(roots, lookup) {
		p := pkgOf[n]
		if _, ok := p.Source["registry"]; !ok || seen[n.name+"=="+n.version+";"+marker] {
			continue // the project, a workspace member, a path, url or git source
		}
		seen[n.name+"=="+n.version+";"+marker] = true
		var hashes []string
		if p.Sdist != nil && p.Sdist.Hash != "" {
			hashes = append(hashes, p.Sdist.Hash)
		}
		for _, w := range p.Wheels {
			if w.Hash != "" {
				hashes = append(hashes, w.Hash)
			}
		}
		pins = append(pins, pin{name: n.name, version: n.version, marker: marker, hashes: hashes})
	}
	return &Manifest{
		Ecosystem: UV,
		Files:     []string{},
		Generated: map[string]string{uvReqs: writeRequirements("uv.lock (groups: "+strings.Join(append([]string{"main"}, d.groups...), ", ")+")", pins)},
		Install:   "pip install --no-deps -r " + uvReqs,
		Caches:    []string{"/root/.cache/pip"},
		Packages:  pinNames(pins),
	}, nil
}

// uvLocal returns the path of an editable or virtual (workspace) source,
// or "".
func uvLocal(p *uvPackage) string {
	for _, k := range []string{"editable", "virtual"} {
		if s, ok := p.Source[k].(string); ok {
			return s
		}
	}
	return ""
}

func uvEdges(deps []uvDep) []gedge {
	out := make([]gedge, 0, len(deps))
	for _, d := range deps {
		out = append(out, gedge{name: d.Name, version: d.Version, extras: d.Extra, marker: d.Marker})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
