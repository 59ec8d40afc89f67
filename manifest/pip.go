package manifest

import (
	"fmt"
	"strings"
)

// groupRequirementFiles are the files, relative to the detected directory,
// that hold the requirements of a group.
func groupRequirementFiles(g string) []string {
	return []string{"requirements-" + g + ".txt", "requirements_" + g + ".txt",
		g + "-requirements.txt", g + "_requirements.txt", "requirements/" + g + ".txt"}
}

// requirements detects plain pip requirements: requirements.txt for main,
// and every existing groupRequirementFiles(g) for each requested group.
// Files pulled in by another selected file's -r are not installed twice.
func (d *detector) requirements() (*Manifest, error) {
	var cands []string
	if d.has("requirements.txt") {
		cands = append(cands, d.ctx("requirements.txt"))
	}
	var missing []string
	for _, g := range d.groups {
		found := false
		for _, f := range groupRequirementFiles(g) {
			if d.has(f) {
				cands = append(cands, d.ctx(f))
				found = true
			}
		}
		if !found {
			missing = append(missing, g)
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	if len(missing) > 0 {
		g := missing[0]
		return nil, fmt.Errorf("%s: no requirements file for group %q (looked for %s; add one, or drop the group)",
			d.dir, g, strings.Join(groupRequirementFiles(g), ", "))
	}
	parsed := make([]*reqParser, len(cands))
	includedBy := map[string]bool{}
	for i, c := range cands {
		p, err := parseRequirements(d.fsys, c)
		if err != nil {
			return nil, err
		}
		parsed[i] = p
		for f := range p.included {
			if f != c {
				includedBy[f] = true
			}
		}
	}
	m := &Manifest{Ecosystem: Pip, Caches: []string{"/root/.cache/pip"}}
	covered, installed, names := map[string]bool{}, map[string]bool{}, map[string]bool{}
	install := []string{"pip install"}
	keep := func(i int) {
		install = append(install, "-r "+shq(d.rel(cands[i])))
		installed[cands[i]] = true
		for f := range parsed[i].included {
			installed[f] = true
		}
		for _, f := range parsed[i].files {
			if !covered[f] {
				covered[f] = true
				m.Files = append(m.Files, f)
			}
		}
		for n := range parsed[i].names {
			names[n] = true
		}
	}
	for i, c := range cands { // top-level files first
		if !includedBy[c] {
			keep(i)
		}
	}
	for i, c := range cands { // files that only include each other
		if !installed[c] {
			keep(i)
		}
	}
	m.Install = strings.Join(install, " ")
	m.Packages = sortedKeys(names)
	return m, nil
}
