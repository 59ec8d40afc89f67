package manifest

import (
	"fmt"
	"sort"
	"strings"
)

// pyproject holds what the planner reads from pyproject.toml: never the
// version, so a version bump changes nothing it derives.
type pyproject struct {
	Project struct {
		Name                 string              `toml:"name"`
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
	} `toml:"project"`
	DependencyGroups map[string][]any `toml:"dependency-groups"`
	Tool             struct {
		Poetry struct {
			Name            string         `toml:"name"`
			Dependencies    map[string]any `toml:"dependencies"`
			DevDependencies map[string]any `toml:"dev-dependencies"`
			Group           map[string]struct {
				Dependencies map[string]any `toml:"dependencies"`
			} `toml:"group"`
		} `toml:"poetry"`
	} `toml:"tool"`
}

// poetryByWalk selects what pyproject.toml's main and requested groups
// need, following the lock's dependency graph.
func poetryByWalk(file string, lock *poetryLock, proj *pyproject, groups []string) (map[*poetryPackage]string, error) {
	pp := proj.Tool.Poetry
	decl := []map[string]any{pp.Dependencies}
	var pep []string
	pep = append(pep, proj.Project.Dependencies...)
	for _, g := range groups {
		grp, ok := pp.Group[g]
		found := ok
		decl = append(decl, grp.Dependencies)
		if g == "dev" && pp.DevDependencies != nil {
			decl, found = append(decl, pp.DevDependencies), true
		}
		if dg, ok := proj.DependencyGroups[g]; ok {
			found = true
			for _, v := range dg {
				if s, ok := v.(string); ok {
					pep = append(pep, s)
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: pyproject.toml declares no dependency group %q (fix the group name, or add [tool.poetry.group.%s.dependencies])", file, g, g)
		}
	}
	var roots []gedge
	for _, deps := range decl {
		roots = append(roots, poetryEdges(deps, true)...)
	}
	for _, s := range pep {
		if n := requirementName(s); n != "" {
			marker := ""
			if i := strings.IndexByte(s, ';'); i >= 0 {
				marker = strings.TrimSpace(s[i+1:])
			}
			roots = append(roots, gedge{name: n, marker: marker})
		}
	}
	nodes := map[string][]*gnode{}
	pkgOf := map[*gnode]*poetryPackage{}
	for i, p := range lock.Package {
		n := &gnode{name: NormalizeName(p.Name), version: p.Version, deps: poetryEdges(p.Dependencies, false), extras: map[string][]gedge{}}
		for x, reqs := range p.Extras {
			for _, r := range reqs {
				e := gedge{name: requirementName(r)}
				if i := strings.IndexByte(r, ';'); i >= 0 {
					e.marker = strings.TrimSpace(r[i+1:])
				}
				n.extras[NormalizeName(x)] = append(n.extras[NormalizeName(x)], e)
			}
		}
		nodes[n.name] = append(nodes[n.name], n)
		pkgOf[n] = &lock.Package[i]
	}
	for _, r := range roots {
		if len(nodes[NormalizeName(r.name)]) == 0 && r.marker == "" && !r.soft {
			return nil, fmt.Errorf("%s: pyproject.toml depends on %q, which is not in the lock (run poetry lock)", file, r.name)
		}
	}
	out := map[*poetryPackage]string{}
	for n, m := range walkGraph(roots, func(name, _ string) []*gnode { return nodes[name] }) {
		out[pkgOf[n]] = m
	}
	return out, nil
}

// poetryEdges turns a Poetry dependency table into edges, sorted by name.
// Optional dependencies (those of extras) are left out; root tables also
// drop "python".
func poetryEdges(deps map[string]any, root bool) []gedge {
	var out []gedge
	for name, v := range deps {
		if root && name == "python" {
			continue
		}
		specs, ok := v.([]any) // multiple-constraint dependencies
		if !ok {
			specs = []any{v}
		}
		for _, s := range specs {
			e := gedge{name: name}
			if t, ok := s.(map[string]any); ok {
				if opt, _ := t["optional"].(bool); opt {
					continue
				}
				e.marker, _ = t["markers"].(string)
				if py, ok := t["python"].(string); ok {
					pm := pythonMarker(py)
					e.soft = pm == ""
					if pm != "" && e.marker != "" {
						pm = "(" + pm + ") and (" + e.marker + ")"
					}
					if pm != "" {
						e.marker = pm
					}
				}
				if xs, ok := t["extras"].([]any); ok {
					for _, x := range xs {
						if xs, ok := x.(string); ok {
							e.extras = append(e.extras, xs)
						}
					}
				}
			}
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// pythonMarker turns a Poetry python constraint made of plain comparisons
// (">=3.8,<3.11") into a PEP 508 marker, or "" when it uses other forms
// (^, ~, *, ||).
func pythonMarker(c string) string {
	var out []string
	for _, part := range strings.Split(c, ",") {
		part = strings.TrimSpace(part)
		op := strings.TrimRight(part[:min(2, len(part))], "0123456789.")
		v := strings.TrimSpace(part[len(op):])
		switch op {
		case "<", "<=", ">", ">=", "==", "!=":
		default:
			return ""
		}
		if v == "" || strings.Trim(v, "0123456789.") != "" {
			return ""
		}
		key := "python_version"
		if strings.Count(v, ".") >= 2 {
			key = "python_full_version"
		}
		out = append(out, key+" "+op+" \""+v+"\"")
	}
	return strings.Join(out, " and ")
}
