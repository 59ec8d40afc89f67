package pipeline

import (
	"fmt"
	"path"
	"regexp"

	yaml "go.yaml.in/yaml/v3"
)

// SecretMount makes a build secret (--secret id=ID,...) available to a
// stage's run and test steps, as a file or an env var, never in a layer.
type SecretMount struct {
	ID Value
	// Target is the file path; default /run/secrets/<id>.
	Target Value
	// Env, when set, exposes the secret as this env var instead of a file.
	Env Value
	// Optional lets the build go on when the secret is not given.
	Optional bool
	Pos      Pos
}

var (
	secretKeys = []string{"id", "target", "env", "optional"}
	secretID   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// secrets parses `secrets: [ID, {id: ID, env: VAR}, ...]`.
func (ps *parser) secrets(n *yaml.Node, what string) ([]SecretMount, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errorf(ps.pos(n), "%s must be a list of secret ids or {id:, target:, env:, optional:} mappings, got %s", what, kindName(n))
	}
	var out []SecretMount
	for _, item := range n.Content {
		m := SecretMount{Pos: ps.pos(item)}
		if item.Kind == yaml.ScalarNode {
			m.ID = Value{Value: item.Value, Pos: ps.pos(item)}
		} else {
			err := ps.pairs(item, what, secretKeys, func(k, v *yaml.Node) error {
				var err error
				switch k.Value {
				case "id":
					m.ID, err = ps.scalar(v, what+" id")
				case "target":
					m.Target, err = ps.scalar(v, what+" target")
				case "env":
					m.Env, err = ps.scalar(v, what+" env")
				case "optional":
					if v.Tag != "!!bool" {
						return errorf(ps.pos(v), "%s optional: write true or false", what)
					}
					m.Optional = v.Value == "true"
				}
				return err
			})
			if err != nil {
				return nil, err
			}
		}
		if !secretID.MatchString(m.ID.Value) {
			return nil, errorf(m.Pos, "%s: %q is not a secret id (letters, digits, ., _ and -; it matches --secret id=...)", what, m.ID.Value)
		}
		if m.Target.Value != "" && !path.IsAbs(m.Target.Value) {
			return nil, errorf(m.Target.Pos, "%s target: %q must be an absolute path", what, m.Target.Value)
		}
		if m.Env.Value != "" && !envName.MatchString(m.Env.Value) {
			return nil, errorf(m.Env.Pos, "%s env: %q is not an env name (letters, digits and _)", what, m.Env.Value)
		}
		if m.Env.Value != "" && m.Target.Value != "" {
			return nil, errorf(m.Pos, "%s: give target: or env:, not both", what)
		}
		out = append(out, m)
	}
	return out, nil
}

// sshIDs parses `ssh: true` (the default agent) or `ssh: [default, github]`.
func (ps *parser) sshIDs(n *yaml.Node, what string) ([]Value, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		if n.Value == "true" {
			return []Value{{Value: "default", Pos: ps.pos(n)}}, nil
		}
		return nil, nil
	}
	ids, err := ps.scalars(n, what)
	if err != nil {
		return nil, fmt.Errorf("%w (or write ssh: true for the default agent)", err)
	}
	for _, id := range ids {
		if !secretID.MatchString(id.Value) {
			return nil, errorf(id.Pos, "%s: %q is not an ssh id (it matches --ssh ID=...)", what, id.Value)
		}
	}
	return ids, nil
}
