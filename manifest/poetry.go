package manifest

import (
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

type poetryFile struct {
	File string `toml:"file"`
	Hash string `toml:"hash"`
}

type poetryPackage struct {
	Name         string                 `toml:"name"`
	Version      string                 `toml:"version"`
	Category     string                 `toml:"category"`
	Groups       []string               `toml:"groups"`
	Markers      any                    `toml:"markers"`
	Optional     bool                   `toml:"optional"`
	Develop      bool                   `toml:"develop"`
	Source       *struct{ Type string } `toml:"source"`
	Dependencies map[string]any         `toml:"dependencies"`
	Extras       map[string][]string    `toml:"extras"`
	Files        []poetryFile           `toml:"files"`
}

type poetryLock struct {
	Package  []poetryPackage `toml:"package"`
	Metadata struct {
		Files map[string][]poetryFile `toml:"files"` // lock-version 1.1
	} `toml:"metadata"`
}

const poetryReqs = ".stagebuild/requirements-poetry.txt"

// poetry installs poetry.lock through pip. Which packages belong to the
// selected groups comes from the lock itself: "groups" (Poetry 2), else
// "category" (Poetry < 1.5, where every non-main group is "dev"), else a
// walk of the lock's dependency graph from pyproject.toml's declared
// dependencies (Poetry 1.5-1.8 locks carry no group information).
func (d *detector) poetry() (*Manifest, error) {
	file := d.ctx("poetry.lock")
	data, err := d.read("poetry.lock")
	if err != nil {
		return nil, err
	}
	var lock poetryLock
	if err := toml.Unmarshal(data, &lock); err != nil {
		return nil, tomlErr(file, err, "regenerate it with poetry lock")
	}
	var proj *pyproject
	if d.has("pyproject.toml") {
		proj = &pyproject{}
		raw, err := d.read("pyproject.toml")
		if err != nil {
			return nil, err
		}
		if err := toml.Unmarshal(raw, proj); err != nil {
			return nil, tomlErr(d.ctx("pyproject.toml"), err, "fix the TOML syntax")
		}
	}
	hasGroups, hasCategory := false, false
	for _, p := range lock.Package {
		hasGroups = hasGroups || len(p.Groups) > 0
		hasCategory = hasCategory || p.Category != ""
	}
	var selected map[*poetryPackage]string // package -> marker
	switch {
	case hasGroups:
		selected, err = poetryByGroups(file, &lock, proj, d.groups)
	case hasCategory:
		selected = map[*poetryPackage]string{}
		for i, p := range lock.Package {
			if !p.Optional && (p.Category == "main" || p.Category == "" || len(d.groups) > 0) {
				selected[&lock.Package[i]] = ""
			}
		}
	case proj == nil:
		return nil, fmt.Errorf("%s: the lock has no group information (Poetry 1.5-1.8) and there is no pyproject.toml next to it (add pyproject.toml to the build context)", file)
	default:
		selected, err = poetryByWalk(file, &lock, proj, d.groups)
	}
	if err != nil {
		return nil, err
	}
	self := ""
	if proj != nil {
		self = NormalizeName(proj.Project.Name)
		if proj.Tool.Poetry.Name != "" {
			self = NormalizeName(proj.Tool.Poetry.Name)
		}
	}
	var pins []pin
	for p, marker := range selected {
		name := NormalizeName(p.Name)
		if name == self || p.Develop || (p.Source != nil && p.Source.Type != "legacy") {
			continue // the project itself, or a directory, file, url or git source
		}
		files := p.Files
		if len(files) == 0 {
			files = lock.Metadata.Files[p.Name]
		}
		var hashes []string
		for _, f := range files {
			if f.Hash != "" {
				hashes = append(hashes, f.Hash)
			}
		}
		pins = append(pins, pin{name: name, version: p.Version, marker: marker, hashes: hashes})
	}
	return &Manifest{
		Ecosystem: Poetry,
		Files:     []string{file},
		Generated: map[string]string{poetryReqs: writeRequirements("poetry.lock (groups: "+strings.Join(append([]string{"main"}, d.groups...), ", ")+")", pins)},
		Install:   "pip install --no-deps -r " + poetryReqs,
		Caches:    []string{"/root/.cache/pip"},
		Packages:  pinNames(pins),
	}, nil
}

// poetryByGroups selects the packages of a Poetry 2 lock whose groups meet
// main or a requested group, with the markers of those groups.
func poetryByGroups(file string, lock *poetryLock, proj *pyproject, groups []string) (map[*poetryPackage]string, error) {
	want := map[string]bool{"main": true}
	known := map[string]bool{}
	for _, p := range lock.Package {
		for _, g := range p.Groups {
			known[g] = true
		}
	}
	if proj != nil {
		for g := range proj.Tool.Poetry.Group {
			known[g] = true
		}
		for g := range proj.DependencyGroups {
			known[g] = true
		}
	}
	for _, g := range groups {
		if !known[g] {
			return nil, fmt.Errorf("%s: no dependency group %q (known: %s; fix the group name)", file, g, strings.Join(sortedKeys(known), ", "))
		}
		want[g] = true
	}
	out := map[*poetryPackage]string{}
	for i, p := range lock.Package {
		if p.Optional {
			continue // an extra of the project
		}
		var alts [][]string
		for _, g := range p.Groups {
			if !want[g] {
				continue
			}
			m := ""
			switch mk := p.Markers.(type) {
			case string:
				m = mk
			case map[string]any:
				m, _ = mk[g].(string)
			}
			if m == "" {
				alts = [][]string{nil}
				break
			}
			alts = append(alts, []string{m})
		}
		if len(alts) > 0 {
			out[&lock.Package[i]] = markerOf(alts)
		}
	}
	return out, nil
}
