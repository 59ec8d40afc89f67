package pipeline

import (
	"path"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Install asks the planner to find the dependency manifests in Dir of the
// build context, copy only those, and run the matching install (with its
// cache mounts) before the stage's own copies and run steps.
type Install struct {
	// Dir is a context-relative directory; "." by default.
	Dir Value
	// Groups are dependency groups installed besides the main ones
	// (Poetry/uv groups, requirements-<group>.txt, devDependencies).
	Groups []Value
	Pos    Pos
}

var installKeys = []string{"dir", "groups"}

// install parses `install: auto` or `install: {dir: DIR, groups: [..]}`.
func (ps *parser) install(n *yaml.Node, what string) (*Install, error) {
	in := &Install{Dir: Value{Value: ".", Pos: ps.pos(n)}, Pos: ps.pos(n)}
	if n.Kind == yaml.ScalarNode {
		if n.Value != "auto" {
			return nil, errorf(ps.pos(n), "%s: %q is not a setting (write install: auto, or a mapping with dir: and groups:)", what, n.Value)
		}
		return in, nil
	}
	err := ps.pairs(n, what, installKeys, func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "dir":
			var d Value
			if d, err = ps.argScalar(v, what+" dir"); err != nil {
				return err
			}
			clean := path.Clean(d.Value)
			if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
				return errorf(d.Pos, "%s dir: %q must be a directory inside the build context (a relative path)", what, d.Value)
			}
			d.Value = clean
			in.Dir = d
		case "groups":
			in.Groups, err = ps.scalars(v, what+" groups")
		}
		return err
	})
	return in, err
}
