package pipeline

import (
	"path"

	yaml "go.yaml.in/yaml/v3"
)

// BindMount mounts a directory of another stage, read-only, into a stage's
// run steps, as a Dockerfile's RUN --mount=type=bind,from=STAGE does: a
// tool (such as uv) that the steps use but the image never holds. From must
// be a stage of the pipeline; it is built first, and none of its files land
// in the mounting stage's layers.
type BindMount struct {
	// From names the stage whose filesystem is mounted.
	From Value
	// Source is the directory (or file) of From mounted; "/" by default.
	Source Value
	// Target is the absolute path it appears at in the step.
	Target Value
	Pos    Pos
}

var mountKeys = []string{"from", "source", "target"}

// mounts parses `mounts: [{from: STAGE, source: /dir, target: /opt/dir}]`.
func (ps *parser) mounts(n *yaml.Node, what string) ([]BindMount, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errorf(ps.pos(n), "%s must be a list of {from:, source:, target:} mappings, got %s", what, kindName(n))
	}
	var out []BindMount
	for _, item := range n.Content {
		m := BindMount{Pos: ps.pos(item)}
		err := ps.pairs(item, "an entry of "+what, mountKeys, func(k, v *yaml.Node) error {
			val, err := ps.argScalar(v, k.Value+" in "+what)
			switch k.Value {
			case "from":
				m.From = val
			case "source":
				m.Source = val
			case "target":
				m.Target = val
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if !isSet(m.From) {
			return nil, errorf(m.Pos, "an entry of %s has no from: (name the stage whose files are mounted)", what)
		}
		if !isSet(m.Target) {
			return nil, errorf(m.Pos, "an entry of %s has no target: (give the absolute path the files appear at, such as /opt/uv)", what)
		}
		if t := path.Clean(m.Target.Value); !path.IsAbs(t) || t == "/" {
			return nil, errorf(m.Target.Pos, "target in %s: %q must be an absolute path other than / (such as /opt/uv)", what, m.Target.Value)
		}
		m.Target.Value = path.Clean(m.Target.Value)
		if !isSet(m.Source) {
			m.Source = Value{Value: "/", Pos: m.Pos}
		} else if !path.IsAbs(m.Source.Value) {
			return nil, errorf(m.Source.Pos, "source in %s: %q must be an absolute path in stage %q (such as /uv)", what, m.Source.Value, m.From.Value)
		}
		m.Source.Value = path.Clean(m.Source.Value)
		out = append(out, m)
	}
	return out, nil
}

// validateMounts checks that each mount's from: names another stage, and
// that no two mounts share a target.
func validateMounts(p *Pipeline, s *Stage, names []string) error {
	targets := map[string]Pos{}
	for _, m := range s.Mounts {
		f := m.From
		switch {
		case f.Value == s.Name:
			return errorf(f.Pos, "from in a mount of stage %q: a stage cannot mount itself (name another stage)", s.Name)
		case p.Stage(f.Value) == nil:
			return errorf(f.Pos, "from in a mount of stage %q: unknown stage %q%s (a mount reads a stage of this pipeline)",
				s.Name, f.Value, didYouMean(f.Value, names))
		}
		if first, dup := targets[m.Target.Value]; dup {
			return errorf(m.Target.Pos, "target in a mount of stage %q: %s is already mounted at %d:%d (give each mount its own target)",
				s.Name, m.Target.Value, first.Line, first.Col)
		}
		targets[m.Target.Value] = m.Target.Pos
		for _, c := range s.Cache {
			if path.Clean(c.Value) == m.Target.Value {
				return errorf(m.Target.Pos, "target in a mount of stage %q: %s is also a cache of the stage (give the mount another target)", s.Name, m.Target.Value)
			}
		}
	}
	return nil
}
