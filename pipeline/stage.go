package pipeline

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

var argRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// applyArgs resolves the effective arg values, then parses every stage with
// ${ARG} substituted.
func (ps *parser) applyArgs(overrides map[string]string) error {
	p := ps.p
	p.ArgValues = map[string]string{}
	for _, a := range p.Args {
		p.ArgValues[a.Name] = a.Default
	}
	for _, k := range sortedKeys(overrides) {
		v := overrides[k]
		if _, ok := p.ArgValues[k]; ok {
			p.ArgValues[k] = v
		} else if !IsPredefinedArg(k) {
			p.Warnings = append(p.Warnings, fmt.Sprintf("--build-arg %s is not declared under args: in %s and was ignored", k, p.File))
		}
	}
	for _, s := range p.Stages {
		if err := ps.stage(s, ps.stageNodes[s.Name]); err != nil {
			return err
		}
	}
	return ps.services(ps.servicesNode)
}

// subst replaces ${ARG} with its value. Unknown names are an error unless
// keepUnknown is set (env values may refer to earlier env, expanded later).
func (ps *parser) subst(v Value, what string, keepUnknown bool) (Value, error) {
	if !strings.Contains(v.Value, "${") {
		return v, nil
	}
	var bad string
	out := argRef.ReplaceAllStringFunc(v.Value, func(m string) string {
		name := argRef.FindStringSubmatch(m)[1]
		if val, ok := ps.p.ArgValues[name]; ok {
			return val
		}
		if !keepUnknown && bad == "" {
			bad = name
		}
		return m
	})
	if bad != "" {
		if sug := Suggest(bad, sortedKeys(ps.p.ArgValues)); sug != "" {
			return v, errorf(v.Pos, "unknown arg ${%s} in %s (did you mean ${%s}? otherwise declare it under args:)", bad, what, sug)
		}
		return v, errorf(v.Pos, "unknown arg ${%s} in %s (declare it under args:)", bad, what)
	}
	v.Value = out
	return v, nil
}

func (ps *parser) stage(s *Stage, n *yaml.Node) error {
	where := "stage " + strconv.Quote(s.Name)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return errorf(s.Pos, "%s is empty (give it at least from:)", where)
	}
	var extra []*yaml.Node // keys that depend on whether the stage is a gate
	err := ps.pairs(n, where, stageKeys, func(k, v *yaml.Node) error {
		what := k.Value + " of " + where
		var err error
		switch k.Value {
		case "from":
			s.From, err = ps.argScalar(v, what)
		case "workdir":
			s.Workdir, err = ps.argScalar(v, what)
		case "user":
			s.User, err = ps.argScalar(v, what)
		case "env":
			s.Env, err = ps.kvs(v, what, true)
		case "labels":
			s.Labels, err = ps.kvs(v, what, false)
		case "entrypoint":
			s.Entrypoint, err = ps.command(v, what)
		case "cmd":
			s.Cmd, err = ps.command(v, what)
		case "test":
			s.Test, err = ps.command(v, what)
		case "run":
			s.Run, err = ps.commands(v, what)
		case "expose":
			s.Expose, err = ps.scalars(v, what)
		case "cache":
			s.Cache, err = ps.scalars(v, what)
		case "gated_by":
			s.GatedBy, err = ps.scalars(v, what)
		case "copy":
			s.Copy, err = ps.copies(v, what)
		case "description":
			_, err = ps.scalar(v, what)
		case "install":
			s.Install, err = ps.install(v, what)
		case "secrets":
			s.Secrets, err = ps.secrets(v, what)
		case "ssh":
			s.SSH, err = ps.sshIDs(v, what)
		case "mounts":
			s.Mounts, err = ps.mounts(v, what)
		case "reports", "allow_failure", "checks", "purity":
			extra = append(extra, k)
			err = ps.stageExtra(s, k, v, what)
		case "services": // the services a gate runs beside (services.go)
			extra = append(extra, k)
			s.Services, err = ps.scalars(v, what)
		}
		return err
	})
	if err != nil {
		return err
	}
	if s.From.Value == "" {
		return errorf(s.Pos, "%s has no from: (name a base image such as python:3.11-slim-bookworm, or another stage)", where)
	}
	return placeExtra(s, extra, ps)
}

// argScalar reads a string in which every ${NAME} must be a declared arg.
func (ps *parser) argScalar(n *yaml.Node, what string) (Value, error) {
	v, err := ps.scalar(n, what)
	if err != nil {
		return v, err
	}
	return ps.subst(v, what, false)
}

func (ps *parser) kvs(n *yaml.Node, what string, keepUnknown bool) ([]KV, error) {
	var out []KV
	if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
		out = make([]KV, 0, len(n.Content)/2)
	}
	err := ps.pairs(n, what, nil, func(k, v *yaml.Node) error {
		if !envName.MatchString(k.Value) && keepUnknown {
			return errorf(ps.pos(k), "invalid env name %q in %s (use letters, digits and _)", k.Value, what)
		}
		val, err := ps.scalar(v, k.Value+" in "+what)
		if err != nil {
			return err
		}
		if val, err = ps.subst(val, what, keepUnknown); err != nil {
			return err
		}
		out = append(out, KV{Key: k.Value, Value: val.Value, Pos: ps.pos(k)})
		return nil
	})
	return out, err
}

func (ps *parser) scalars(n *yaml.Node, what string) ([]Value, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errorf(ps.pos(n), "%s must be a list, got %s", what, kindName(n))
	}
	out := make([]Value, 0, len(n.Content))
	each := "each entry of " + what
	for _, c := range n.Content {
		v, err := ps.scalar(c, each)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// command reads a shell string or an exec-form list.
func (ps *parser) command(n *yaml.Node, what string) (*Command, error) {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null":
		if strings.TrimSpace(n.Value) == "" {
			return nil, errorf(ps.pos(n), "%s is an empty command", what)
		}
		return &Command{Args: []string{n.Value}, Shell: true, Pos: ps.pos(n)}, nil
	case n.Kind == yaml.SequenceNode:
		vals, err := ps.scalars(n, what)
		if err != nil {
			return nil, err
		}
		if len(vals) == 0 {
			return nil, errorf(ps.pos(n), "%s is an empty command", what)
		}
		c := &Command{Pos: ps.pos(n)}
		for _, v := range vals {
			c.Args = append(c.Args, v.Value)
		}
		return c, nil
	}
	return nil, errorf(ps.pos(n), "%s must be a shell string or an exec-form list, got %s", what, kindName(n))
}

// commands reads run: a single command string, or a list of commands, each a
// shell string or an exec-form list.
func (ps *parser) commands(n *yaml.Node, what string) ([]Command, error) {
	if n.Kind == yaml.ScalarNode {
		c, err := ps.command(n, what)
		if err != nil {
			return nil, err
		}
		return []Command{*c}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errorf(ps.pos(n), "%s must be a command or a list of commands, got %s", what, kindName(n))
	}
	var out []Command
	if len(n.Content) > 0 {
		out = make([]Command, 0, len(n.Content))
	}
	each := "each entry of " + what
	for _, c := range n.Content {
		cmd, err := ps.command(c, each)
		if err != nil {
			return nil, err
		}
		out = append(out, *cmd)
	}
	return out, nil
}

// copies reads copy: entries are a path, or a mapping {src, to, from,
// chown, chmod, exclude}, or a fetch {url, checksum, platform, to, chown,
// chmod} (fetch.go).
func (ps *parser) copies(n *yaml.Node, what string) ([]Copy, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errorf(ps.pos(n), "%s must be a list of paths, got %s", what, kindName(n))
	}
	var out []Copy
	if len(n.Content) > 0 {
		out = make([]Copy, 0, len(n.Content))
	}
	for _, c := range n.Content {
		cp := Copy{Pos: ps.pos(c)}
		var err error
		if c.Kind == yaml.MappingNode {
			err = ps.pairs(c, "an entry of "+what, copyKeys, func(k, v *yaml.Node) error {
				switch k.Value {
				case "exclude":
					return ps.copyExcludes(&cp, v, "exclude in "+what)
				case "platform":
					return ps.copyPlatforms(&cp, v, "platform in "+what)
				}
				val, err := ps.scalar(v, k.Value+" in "+what)
				if err != nil {
					return err
				}
				if val, err = ps.subst(val, what, false); err != nil {
					return err
				}
				switch k.Value {
				case "src":
					cp.Src = val
				case "url":
					cp.URL = val
				case "checksum":
					cp.Checksum = val
				case "to":
					cp.To = val
				case "from":
					cp.From = val
				case "chown":
					cp.Chown = val
				case "chmod":
					cp.Chmod = val
				}
				return nil
			})
			if err == nil && cp.Src.Value == "" && !isSet(cp.URL) {
				err = errorf(cp.Pos, "an entry of %s has no src: (name a path in the build context, or a url: to fetch)", what)
			}
		} else {
			cp.Src, err = ps.argScalar(c, "each entry of "+what)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

// copyExcludes reads a copy's exclude: list of patterns.
func (ps *parser) copyExcludes(cp *Copy, n *yaml.Node, what string) error {
	vals, err := ps.scalars(n, what)
	if err != nil {
		return err
	}
	for _, v := range vals {
		if v, err = ps.subst(v, what, false); err != nil {
			return err
		}
		cp.Exclude = append(cp.Exclude, v)
	}
	return nil
}
