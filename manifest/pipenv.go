package manifest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

type pipenvEntry struct {
	Version string   `json:"version"`
	Hashes  []string `json:"hashes"`
	Markers string   `json:"markers"`
}

const pipenvReqs = ".stagebuild/requirements-pipenv.txt"

// pipenv installs Pipfile.lock through pip: the "default" section, plus for
// each requested group the section of that name ("dev" means "develop";
// Pipenv's custom categories lock under their own names). Entries without
// a version (path, file, git and editable sources) are left out.
func (d *detector) pipenv() (*Manifest, error) {
	file := d.ctx("Pipfile.lock")
	data, err := d.read("Pipfile.lock")
	if err != nil {
		return nil, err
	}
	var lock map[string]json.RawMessage
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, jsonErr(file, data, err, "regenerate it with pipenv lock")
	}
	sections := []string{"default"}
	for _, g := range d.groups {
		s := g
		if _, ok := lock[s]; !ok && g == "dev" {
			s = "develop"
		}
		if _, ok := lock[s]; !ok || s == "_meta" {
			var known []string
			for k := range lock {
				if k != "_meta" {
					known = append(known, k)
				}
			}
			sort.Strings(known)
			return nil, fmt.Errorf("%s: no section for group %q (known: %s; fix the group name)", file, g, strings.Join(known, ", "))
		}
		sections = append(sections, s)
	}
	seen := map[string]bool{}
	var pins []pin
	for _, s := range sections {
		var entries map[string]pipenvEntry
		if raw, ok := lock[s]; ok {
			if err := json.Unmarshal(raw, &entries); err != nil {
				return nil, fmt.Errorf("%s: section %q: %v (regenerate it with pipenv lock)", file, s, err)
			}
		}
		names := make([]string, 0, len(entries))
		for n := range entries {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			e := entries[n]
			name := NormalizeName(n)
			if seen[name] || !strings.HasPrefix(e.Version, "==") {
				continue // listed by an earlier section, or not from an index
			}
			seen[name] = true
			pins = append(pins, pin{name: name, version: strings.TrimPrefix(e.Version, "=="), marker: e.Markers, hashes: e.Hashes})
		}
	}
	return &Manifest{
		Ecosystem: Pipenv,
		Files:     []string{file},
		Generated: map[string]string{pipenvReqs: writeRequirements("Pipfile.lock (sections: "+strings.Join(sections, ", ")+")", pins)},
		Install:   "pip install --no-deps -r " + pipenvReqs,
		Caches:    []string{"/root/.cache/pip"},
		Packages:  pinNames(pins),
	}, nil
}
