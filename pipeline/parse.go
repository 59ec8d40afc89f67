package pipeline

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// DefaultFile is the pipeline file name used when none is given.
const DefaultFile = "stagebuild.yaml"

var (
	topKeys   = []string{"version", "args", "default", "stages", "ca_certs", "services"}
	stageKeys = []string{"from", "workdir", "env", "user", "entrypoint", "cmd", "expose",
		"labels", "copy", "run", "cache", "test", "gated_by", "description",
		"reports", "allow_failure", "checks", "purity", "install", "secrets", "ssh", "services", "mounts"}
	copyKeys = []string{"src", "url", "checksum", "platform", "to", "from", "chown", "chmod", "exclude"}
)

// Load reads and parses a pipeline file. args overrides the declared build
// args' defaults (the CLI's --build-arg).
func Load(path string, args map[string]string) (*Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, errorf(Pos{File: path}, "no such file (create one, or pass -f FILE)")
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(path, data, args)
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse parses and validates pipeline text. file names the text in errors.
func Parse(file string, data []byte, args map[string]string) (*Pipeline, error) {
	doc, err := parseYAML(data)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		pos := Pos{file, 1, 1}
		if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
			pos.Line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		// yaml reports the line of the enclosing node for a tab in the
		// indentation; point at the tab itself.
		if strings.Contains(msg, "tab character") {
			if l, c := indentTab(data); l > 0 {
				pos.Line, pos.Col = l, c
			}
		}
		return nil, errorf(pos, "invalid YAML: %s", msg)
	}
	p := &Pipeline{File: file, byName: map[string]*Stage{}}
	start := Pos{file, 1, 1}
	if len(doc.Content) == 0 {
		return nil, errorf(start, "the pipeline is empty (declare a stages: mapping with at least one stage)")
	}
	root := doc.Content[0]
	ps := &parser{file: file, p: p}
	if err := ps.top(root); err != nil {
		return nil, err
	}
	if err := ps.applyArgs(args); err != nil {
		return nil, err
	}
	if err := validate(p); err != nil {
		return nil, err
	}
	return p, nil
}

// indentTab returns the line and column of the first tab used as
// indentation, or 0, 0.
func indentTab(data []byte) (line, col int) {
	for i, l := range strings.Split(string(data), "\n") {
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if j := strings.IndexByte(indent, '\t'); j >= 0 {
			return i + 1, j + 1
		}
	}
	return 0, 0
}

type parser struct {
	file string
	p    *Pipeline
	// raw stage nodes, substituted after args are known
	stageNodes map[string]*yaml.Node
	// services: node, parsed after the stages (see services.go)
	servicesNode *yaml.Node
}

func (ps *parser) pos(n *yaml.Node) Pos { return Pos{ps.file, n.Line, n.Column} }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return "a scalar"
	}
	return "an alias"
}

// smallMapping is the number of keys up to which pairs finds duplicates
// without a map.
const smallMapping = 16

// pairs walks a mapping node, rejecting keys not in allowed.
func (ps *parser) pairs(n *yaml.Node, where string, allowed []string, fn func(k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return errorf(ps.pos(n), "%s must be a mapping, got %s", where, kindName(n))
	}
	// A small mapping looks its keys up by scanning the ones before; a
	// large one (such as stages:) indexes them.
	var seen map[string]*yaml.Node
	if len(n.Content) > 2*smallMapping {
		seen = make(map[string]*yaml.Node, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if allowed != nil && !contains(allowed, k.Value) {
			return errorf(ps.pos(k), "unknown key %q in %s%s", k.Value, where, didYouMean(k.Value, allowed))
		}
		var first *yaml.Node
		if seen != nil {
			first = seen[k.Value]
			if first == nil {
				seen[k.Value] = k
			}
		} else {
			for j := 0; j < i && first == nil; j += 2 {
				if n.Content[j].Value == k.Value {
					first = n.Content[j]
				}
			}
		}
		if first != nil && where == "stages" {
			return errorf(ps.pos(k), "duplicate stage %q (first declared at %d:%d; rename one of them)", k.Value, first.Line, first.Column)
		} else if first != nil {
			return errorf(ps.pos(k), "duplicate key %q in %s (first set at %d:%d)", k.Value, where, first.Line, first.Column)
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (ps *parser) scalar(n *yaml.Node, what string) (Value, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return Value{}, errorf(ps.pos(n), "%s must be a string, got %s", what, kindName(n))
	}
	return Value{Value: n.Value, Pos: ps.pos(n)}, nil
}

func (ps *parser) top(root *yaml.Node) error {
	if root.Kind != yaml.MappingNode {
		return errorf(ps.pos(root), "the pipeline must be a mapping with a stages: key, got %s", kindName(root))
	}
	var stagesKey, stagesNode *yaml.Node
	err := ps.pairs(root, "the pipeline", topKeys, func(k, v *yaml.Node) error {
		switch k.Value {
		case "version":
			val, err := ps.scalar(v, "version")
			if err != nil {
				return err
			}
			if val.Value != "1" {
				return errorf(val.Pos, "unsupported version %q (this stagebuild reads version 1)", val.Value)
			}
			ps.p.Version = 1
		case "args":
			return ps.pairs(v, "args", nil, func(ak, av *yaml.Node) error {
				if !envName.MatchString(ak.Value) {
					return errorf(ps.pos(ak), "invalid arg name %q (use letters, digits and _)", ak.Value)
				}
				def, err := ps.scalar(av, fmt.Sprintf("the default of arg %s", ak.Value))
				if err != nil {
					return err
				}
				ps.p.Args = append(ps.p.Args, Arg{Name: ak.Value, Default: def.Value, Pos: ps.pos(ak)})
				return nil
			})
		case "default":
			val, err := ps.scalar(v, "default")
			if err != nil {
				return err
			}
			ps.p.Default = val
		case "stages":
			stagesKey, stagesNode = k, v
		case "ca_certs":
			return ps.caCerts(v)
		case "services":
			ps.servicesNode = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if stagesNode == nil {
		return errorf(ps.pos(root), "the pipeline has no stages: key (declare at least one stage)")
	}
	if stagesNode.Kind == yaml.ScalarNode && stagesNode.Tag == "!!null" {
		// "stages:" with nothing after it: point at the key, not past it.
		return errorf(ps.pos(stagesKey), "stages is empty (declare at least one stage)")
	}
	if stagesNode.Kind == yaml.MappingNode && len(stagesNode.Content) == 0 {
		return errorf(ps.pos(stagesNode), "stages is empty (declare at least one stage)")
	}
	ps.stageNodes = make(map[string]*yaml.Node, len(stagesNode.Content)/2)
	// One allocation for all the stages rather than one each.
	stages := make([]Stage, 0, len(stagesNode.Content)/2)
	return ps.pairs(stagesNode, "stages", nil, func(k, v *yaml.Node) error {
		if !stageName.MatchString(k.Value) {
			return errorf(ps.pos(k), "invalid stage name %q (use lowercase letters, digits, - and _)", k.Value)
		}
		stages = append(stages, Stage{Name: k.Value, Pos: ps.pos(k)})
		s := &stages[len(stages)-1]
		ps.p.Stages = append(ps.p.Stages, s)
		ps.p.byName[s.Name] = s
		ps.stageNodes[s.Name] = v
		return nil
	})
}

// envName matches an env var or arg name: ^[A-Za-z_][A-Za-z0-9_]*$.
var envName = nameSpec{first: "_", rest: "0123456789_", upper: true}

// stageName matches a stage name: ^[a-z0-9][a-z0-9_-]*$.
var stageName = nameSpec{first: "0123456789", rest: "0123456789_-"}

// nameSpec is a name of lowercase letters (and uppercase ones when upper),
// that starts with one of them or of first and goes on with them or rest:
// what a regular expression would say, without its cost per name.
type nameSpec struct {
	first, rest string
	upper       bool
}

// MatchString reports whether s is such a name.
func (ns nameSpec) MatchString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', ns.upper && 'A' <= c && c <= 'Z':
		case i == 0 && strings.IndexByte(ns.first, c) >= 0:
		case i > 0 && strings.IndexByte(ns.rest, c) >= 0:
		default:
			return false
		}
	}
	return true
}
