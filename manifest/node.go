package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
)

type packageJSON struct {
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

// node detects package.json with its lockfile. Any requested group
// installs devDependencies too; without groups only production
// dependencies are installed. A package.json without a lockfile is not a
// reproducible install and is not detected.
func (d *detector) node() (*Manifest, error) {
	var m *Manifest
	dev := len(d.groups) > 0
	switch {
	case d.has("pnpm-lock.yaml"):
		m = &Manifest{Ecosystem: PNPM, Install: "pnpm install --frozen-lockfile", Caches: []string{"/root/.local/share/pnpm/store"}}
		if !dev {
			m.Install += " --prod"
		}
		m.Files = []string{d.ctx("package.json"), d.ctx("pnpm-lock.yaml")}
	case d.has("yarn.lock"):
		lock, err := d.read("yarn.lock")
		if err != nil {
			return nil, err
		}
		m = &Manifest{Ecosystem: Yarn, Files: []string{d.ctx("package.json"), d.ctx("yarn.lock")}}
		if bytes.Contains(lock, []byte("\n__metadata:")) { // Yarn 2+ (berry)
			m.Caches = []string{"/root/.yarn/berry/cache"}
			m.Install = "yarn install --immutable"
			if !dev {
				m.Install = "yarn workspaces focus --all --production"
			}
		} else {
			m.Caches = []string{"/usr/local/share/.cache/yarn"}
			m.Install = "yarn install --frozen-lockfile"
			if !dev {
				m.Install += " --production"
			}
		}
	case d.has("package-lock.json"):
		lock, err := d.read("package-lock.json")
		if err != nil {
			return nil, err
		}
		var v map[string]any
		if err := json.Unmarshal(lock, &v); err != nil {
			return nil, jsonErr(d.ctx("package-lock.json"), lock, err, "regenerate it with npm install")
		}
		m = &Manifest{Ecosystem: NPM, Install: "npm ci", Caches: []string{"/root/.npm"},
			Files: []string{d.ctx("package.json"), d.ctx("package-lock.json")}}
		if !dev {
			m.Install += " --omit=dev"
		}
	default:
		return nil, nil
	}
	lockName := m.Files[1]
	if !d.has("package.json") {
		return nil, fmt.Errorf("%s: no package.json next to it (add package.json to the build context, or remove the stray lockfile)", lockName)
	}
	data, err := d.read("package.json")
	if err != nil {
		return nil, err
	}
	var pj packageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, jsonErr(d.ctx("package.json"), data, err, "fix the JSON syntax")
	}
	names := map[string]bool{}
	sets := []map[string]string{pj.Dependencies, pj.OptionalDependencies}
	if dev {
		sets = append(sets, pj.DevDependencies)
	}
	for _, set := range sets {
		for n := range set {
			names[n] = true
		}
	}
	m.Packages = sortedKeys(names)
	return m, nil
}
