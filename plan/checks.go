package plan

import (
	"fmt"
	"strconv"
	"time"

	"github.com/stagebuild/stagebuild/pipeline"
)

// DefaultSmokeTimeout bounds a smoke test's wait for readiness when the
// pipeline sets none.
const DefaultSmokeTimeout = 30 * time.Second

// Checks are an image stage's checks; like gates, they must pass before the
// stage is exported.
type Checks struct {
	Files    []FileCheck    `json:"files,omitempty"`
	Commands []CommandCheck `json:"commands,omitempty"`
	Metadata *MetadataCheck `json:"metadata,omitempty"`
	Smoke    *SmokeCheck    `json:"smoke,omitempty"`
}

// FileCheck asserts one path of the image.
type FileCheck struct {
	Path   string `json:"path"`
	Exists bool   `json:"exists"`
	// Mode is octal permission bits, e.g. "0755"; empty is unchecked.
	Mode string `json:"mode,omitempty"`
	// Owner is "uid" or "uid:gid"; empty is unchecked.
	Owner string `json:"owner,omitempty"`
	// Contains is a regular expression over the file's content.
	Contains Pattern `json:"contains,omitzero"`
	Source   string  `json:"source"`
}

// CommandCheck runs a command in the image and asserts its result.
type CommandCheck struct {
	Name   string   `json:"name"`
	Args   []string `json:"args"`
	Shell  bool     `json:"shell,omitempty"`
	Exit   int      `json:"exit"`
	Stdout Pattern  `json:"stdout,omitzero"`
	Stderr Pattern  `json:"stderr,omitzero"`
	Source string   `json:"source"`
}

// MetadataCheck asserts the image config; nil or empty fields are unchecked.
type MetadataCheck struct {
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Expose     []string          `json:"expose,omitempty"`
	User       string            `json:"user,omitempty"`
	Workdir    string            `json:"workdir,omitempty"`
	Env        map[string]string `json:"env,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Source     string            `json:"source"`
}

// NonRoot is the MetadataCheck.User value that accepts any user but root.
const NonRoot = "non-root"

// SmokeCheck starts the image's entrypoint and waits for readiness.
type SmokeCheck struct {
	PortEnv string `json:"port_env,omitempty"`
	// Port is a fixed port the service listens on (instead of PortEnv).
	Port int `json:"port,omitempty"`
	// TCP: ready once the port accepts a connection.
	TCP        bool          `json:"tcp,omitempty"`
	HTTPPath   string        `json:"http_path,omitempty"`
	HTTPStatus int           `json:"http_status,omitempty"`
	HTTPBody   Pattern       `json:"http_body,omitzero"`
	Log        LogPattern    `json:"log,omitzero"`
	Timeout    time.Duration `json:"timeout"`
	Env        []EnvVar      `json:"env,omitempty"`
	Source     string        `json:"source"`
}

// planChecks plans the checks of stage; the patterns compile into ps.
func planChecks(c *pipeline.Checks, stage string, ps *patterns) *Checks {
	if c == nil {
		return nil
	}
	key := func(k string) string { return fmt.Sprintf("checks.%s of stage %q", k, stage) }
	out := &Checks{}
	for i, f := range c.Files {
		out.Files = append(out.Files, FileCheck{
			Path: f.Path.Value, Exists: f.Exists, Mode: f.Mode.Value, Owner: f.Owner.Value,
			Contains: ps.compile(f.Contains, key(fmt.Sprintf("files[%d].contains", i))), Source: f.Pos.String(),
		})
	}
	for i, cc := range c.Commands {
		name := cc.Name.Value
		if name == "" {
			name = cc.Run.String()
		}
		out.Commands = append(out.Commands, CommandCheck{
			Name: name, Args: cc.Run.Args, Shell: cc.Run.Shell, Exit: cc.Exit,
			Stdout: ps.compile(cc.Stdout, key(fmt.Sprintf("commands[%d].stdout", i))),
			Stderr: ps.compile(cc.Stderr, key(fmt.Sprintf("commands[%d].stderr", i))), Source: cc.Pos.String(),
		})
	}
	if m := c.Metadata; m != nil {
		mc := &MetadataCheck{User: m.User.Value, Workdir: m.Workdir.Value, Source: m.Pos.String()}
		if m.Entrypoint != nil {
			mc.Entrypoint = m.Entrypoint.Argv()
		}
		if m.Cmd != nil {
			mc.Cmd = m.Cmd.Argv()
		}
		for _, e := range m.Expose {
			mc.Expose = append(mc.Expose, portProto(e.Value))
		}
		mc.Env = kvMap(m.Env)
		mc.Labels = kvMap(m.Labels)
		out.Metadata = mc
	}
	if s := c.Smoke; s != nil {
		sc := &SmokeCheck{PortEnv: s.PortEnv.Value, TCP: s.TCP, Log: ps.compileLog(s.Log, key("smoke.log")),
			Timeout: DefaultSmokeTimeout, Source: s.Pos.String()}
		sc.Port, _ = strconv.Atoi(s.Port.Value) // validated by the parser
		if s.Timeout.Value != "" {
			if d, err := time.ParseDuration(s.Timeout.Value); err == nil {
				sc.Timeout = d
			}
		}
		if h := s.HTTP; h != nil {
			sc.HTTPPath, sc.HTTPStatus = h.Path.Value, h.Status
			sc.HTTPBody = ps.compile(h.Body, key("smoke.http.body"))
			if sc.HTTPStatus == 0 {
				sc.HTTPStatus = 200
			}
		}
		for _, e := range s.Env {
			sc.Env = append(sc.Env, EnvVar{Key: e.Key, Value: e.Value})
		}
		out.Smoke = sc
	}
	return out
}

func kvMap(kvs []pipeline.KV) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}
