package pipeline

import (
	"fmt"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

var (
	checksKeys   = []string{"files", "commands", "metadata", "smoke"}
	fileKeys     = []string{"path", "exists", "mode", "owner", "contains"}
	commandKeys  = []string{"name", "run", "exit", "stdout", "stderr"}
	metadataKeys = []string{"entrypoint", "cmd", "expose", "user", "workdir", "env", "labels"}
	smokeKeys    = []string{"port_env", "port", "tcp", "env", "http", "log", "timeout"}
	httpKeys     = []string{"path", "status", "body"}
)

// stageExtra parses the stage keys for reports, advisory gates, image checks
// and purity. Whether they suit the stage is decided by placeExtra once the
// whole stage is read.
func (ps *parser) stageExtra(s *Stage, k, v *yaml.Node, what string) error {
	var err error
	switch k.Value {
	case "reports":
		s.Reports, err = ps.argScalar(v, what)
	case "allow_failure":
		s.AllowFailure, err = ps.boolean(v, what)
	case "purity":
		var b bool
		b, err = ps.boolean(v, what)
		s.Purity = &b
	case "checks":
		s.Checks, err = checkParser{ps, s.Name}.checks(v)
	}
	return err
}

// extraPlace says, per stage key, whether it needs test: (gate) or must not
// have it, and what to write instead.
var extraPlace = map[string]struct {
	gate bool
	fix  string
}{
	"reports":       {true, "needs a test: command (only a test stage writes reports; move it to the gate)"},
	"allow_failure": {true, "needs a test: command (only a test stage can be advisory; remove it)"},
	"checks":        {false, "is for image stages, not test stages (move it to the image stage this stage gates)"},
	"purity":        {false, "is for image stages, not test stages (set it on the image stage this stage gates)"},
	"services":      {true, "needs a test: command (only a test stage runs beside services)"},
}

// placeExtra rejects the stage keys that need test:, or must not have it.
// keys are the stage's extra keys in file order.
func placeExtra(s *Stage, keys []*yaml.Node, ps *parser) error {
	for _, k := range keys {
		if p := extraPlace[k.Value]; p.gate != s.IsGate() {
			return errorf(ps.pos(k), "%s of stage %q %s", k.Value, s.Name, p.fix)
		}
	}
	return nil
}

func (ps *parser) boolean(n *yaml.Node, what string) (bool, error) {
	if b, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil && n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return b, nil
	}
	got := kindName(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		got = strconv.Quote(n.Value)
	}
	return false, errorf(ps.pos(n), "%s must be true or false, got %s", what, got)
}

// checkParser reads the checks: of one stage. Every string value has its
// ${ARG}s substituted; commands (run, entrypoint, cmd) are taken as written,
// like a stage's own run, test, entrypoint and cmd.
type checkParser struct {
	ps    *parser
	stage string
}

// w names a key path for messages: checks.files[0].mode of stage "service".
func (cp checkParser) w(key string) string { return fmt.Sprintf("%s of stage %q", key, cp.stage) }

func (cp checkParser) checks(n *yaml.Node) (*Checks, error) {
	c := &Checks{Pos: cp.ps.pos(n)}
	err := cp.fields(n, "checks", checksKeys, nil, func(key, what string, v *yaml.Node) (err error) {
		switch key {
		case "files", "commands":
			if v.Kind != yaml.SequenceNode {
				return errorf(cp.ps.pos(v), "%s must be a list, got %s", what, kindName(v))
			}
			add := cp.file
			if key == "commands" {
				add = cp.command
			}
			for i, e := range v.Content {
				if err := add(fmt.Sprintf("checks.%s[%d]", key, i), e, c); err != nil {
					return err
				}
			}
		case "metadata":
			c.Metadata, err = cp.metadata(v)
		case "smoke":
			c.Smoke, err = cp.smoke(v)
		}
		return err
	})
	return c, err
}

// typed is where a string value goes, and the kind judge checks it for.
type typed struct {
	v    *Value
	kind string
}

// fields reads the mapping at key path at: the keys listed in strs are
// strings with ${ARG}s substituted, then judged; other handles the rest.
func (cp checkParser) fields(n *yaml.Node, at string, keys []string, strs map[string]typed,
	other func(key, what string, v *yaml.Node) error) error {
	return cp.ps.pairs(n, cp.w(at), keys, func(k, v *yaml.Node) error {
		what := cp.w(at + "." + k.Value)
		dst, ok := strs[k.Value]
		if !ok {
			return other(k.Value, what, v)
		}
		var err error
		if *dst.v, err = cp.str(v, what); err != nil {
			return err
		}
		return judge(dst.v, what, dst.kind)
	})
}

func (cp checkParser) file(at string, n *yaml.Node, c *Checks) error {
	f := FileCheck{Exists: true, Pos: cp.ps.pos(n)}
	strs := map[string]typed{"path": {&f.Path, "path"}, "mode": {&f.Mode, "mode"}, "owner": {&f.Owner, "owner"},
		"contains": {&f.Contains, "regexp"}}
	err := cp.fields(n, at, fileKeys, strs, func(_, what string, v *yaml.Node) (err error) {
		f.Exists, err = cp.ps.boolean(v, what) // exists
		return err
	})
	c.Files = append(c.Files, f)
	return err
}

func (cp checkParser) command(at string, n *yaml.Node, cs *Checks) error {
	c := CommandCheck{Pos: cp.ps.pos(n)}
	strs := map[string]typed{"name": {&c.Name, ""}, "stdout": {&c.Stdout, "regexp"}, "stderr": {&c.Stderr, "regexp"}}
	err := cp.fields(n, at, commandKeys, strs, func(key, what string, v *yaml.Node) (err error) {
		if key == "exit" {
			c.Exit, err = cp.integer(v, what, 0, 255, "an exit code")
			return err
		}
		run, err := cp.ps.command(v, what)
		if err == nil {
			c.Run = *run
		}
		return err
	})
	cs.Commands = append(cs.Commands, c)
	return err
}

func (cp checkParser) metadata(n *yaml.Node) (*MetadataCheck, error) {
	m := &MetadataCheck{Pos: cp.ps.pos(n)}
	strs := map[string]typed{"user": {&m.User, ""}, "workdir": {&m.Workdir, "path"}}
	err := cp.fields(n, "checks.metadata", metadataKeys, strs, func(key, what string, v *yaml.Node) (err error) {
		switch key {
		case "entrypoint":
			m.Entrypoint, err = cp.ps.command(v, what)
		case "cmd":
			m.Cmd, err = cp.ps.command(v, what)
		case "expose":
			m.Expose, err = cp.strs(v, what, "port")
		case "env":
			// Unlike a stage's env, values are literal: ${NAME} must be an arg.
			m.Env, err = cp.ps.kvs(v, what, false)
			for i := 0; err == nil && i < len(m.Env); i++ {
				err = judge(&Value{m.Env[i].Key, m.Env[i].Pos}, what, "env name")
			}
		case "labels":
			m.Labels, err = cp.ps.kvs(v, what, false)
		}
		return err
	})
	return m, err
}

func (cp checkParser) smoke(n *yaml.Node) (*SmokeCheck, error) {
	s := &SmokeCheck{Pos: cp.ps.pos(n)}
	strs := map[string]typed{"port_env": {&s.PortEnv, "env name"}, "log": {&s.Log, "regexp"}, "timeout": {&s.Timeout, "duration"},
		"port": {&s.Port, "fixed port"}}
	err := cp.fields(n, "checks.smoke", smokeKeys, strs, func(key, what string, v *yaml.Node) (err error) {
		if key == "tcp" {
			s.TCP, err = cp.ps.boolean(v, what)
			return err
		}
		if key == "env" {
			// Like a stage's env, a ${NAME} that is not an arg is kept: it
			// expands from the image's env when the service starts.
			s.Env, err = cp.ps.kvs(v, what, true)
			return err
		}
		s.HTTP, err = cp.http(v)
		return err
	})
	return s, err
}

func (cp checkParser) http(n *yaml.Node) (*HTTPProbe, error) {
	h := &HTTPProbe{Status: 200, Pos: cp.ps.pos(n)}
	strs := map[string]typed{"path": {&h.Path, "url path"}, "body": {&h.Body, "regexp"}}
	err := cp.fields(n, "checks.smoke.http", httpKeys, strs, func(_, what string, v *yaml.Node) (err error) {
		h.Status, err = cp.integer(v, what, 100, 599, "an HTTP status") // status
		return err
	})
	return h, err
}

// str reads a string with its ${ARG}s substituted.
func (cp checkParser) str(n *yaml.Node, what string) (Value, error) {
	v, err := cp.ps.scalar(n, what)
	if err != nil {
		return v, err
	}
	return cp.ps.subst(v, what, false)
}

func (cp checkParser) strs(n *yaml.Node, what, kind string) ([]Value, error) {
	vals, err := cp.ps.scalars(n, what)
	for i := 0; err == nil && i < len(vals); i++ {
		if vals[i], err = cp.ps.subst(vals[i], what, false); err == nil {
			err = judge(&vals[i], what, kind)
		}
	}
	return vals, err
}

// integer reads a whole number in [lo, hi].
func (cp checkParser) integer(n *yaml.Node, what string, lo, hi int, noun string) (int, error) {
	v, err := cp.str(n, what)
	if err != nil {
		return 0, err
	}
	i, perr := strconv.Atoi(v.Value)
	if perr != nil || i < lo || i > hi {
		return 0, errorf(v.Pos, "%s must be %s from %d to %d, got %q", what, noun, lo, hi, v.Value)
	}
	return i, nil
}
