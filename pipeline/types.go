package pipeline

import (
	"fmt"
	"strconv"
)

// Pos is a place in the pipeline file.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Value is a scalar the user wrote, with where they wrote it.
type Value struct {
	Value string
	Pos   Pos
}

// Command is a run, test, entrypoint or cmd value. A YAML string is a shell
// command (run through /bin/sh -c); a YAML list is an exec-form argv.
type Command struct {
	Args  []string
	Shell bool
	Pos   Pos
}

// Argv returns the process arguments: shell form is wrapped in /bin/sh -c.
func (c Command) Argv() []string {
	if c.Shell {
		return []string{"/bin/sh", "-c", c.Args[0]}
	}
	return append([]string(nil), c.Args...)
}

// String renders the command as the user wrote it, for vertex names.
func (c Command) String() string {
	if c.Shell {
		return c.Args[0]
	}
	return fmt.Sprintf("%q", c.Args)
}

// KV is one entry of an env or labels mapping, in file order.
type KV struct {
	Key   string
	Value string
	Pos   Pos
}

// Copy copies a path of the build context into the stage. To defaults to the
// same relative path under the stage's workdir. Chown (user[:group], names
// or ids) and Chmod (octal, rewritten as four digits) set the copied files'
// owner and mode; Exclude lists patterns, relative to Src, left out. From
// names another stage: Src is then a path in that stage's filesystem
// (relative to its root, as COPY --from reads it) instead of the context.
// URL, instead of Src, fetches a file over http(s), as a Dockerfile's ADD
// --checksum does: Checksum (sha256:<64 hex>) is required and keys it, To
// names the file (or, ending in /, its directory), and Platforms, when set,
// are the only platforms (normalized, such as linux/arm64) it is fetched
// for (see fetch.go).
type Copy struct {
	Src       Value
	URL       Value
	Checksum  Value
	Platforms []Value
	To        Value
	From      Value
	Chown     Value
	Chmod     Value
	Exclude   []Value
	Pos       Pos
}

// Arg is a pipeline-level build arg with its default.
type Arg struct {
	Name    string
	Default string
	Pos     Pos
}

// Stage is one named stage of the pipeline.
type Stage struct {
	Name string
	Pos  Pos

	// From is the base: an image reference or the name of another stage.
	From Value
	// FromStage is set when From names another stage of this pipeline.
	FromStage string

	Workdir    Value
	Env        []KV
	User       Value
	Entrypoint *Command
	Cmd        *Command
	Expose     []Value
	Labels     []KV

	// Install detects dependency manifests and installs them first.
	Install *Install
	// Secrets and SSH are mounted into the stage's run and test steps.
	Secrets []SecretMount
	SSH     []Value
	Copy    []Copy
	Run     []Command
	Cache   []Value
	// Mounts bind other stages' files, read-only, into the run and test
	// steps (mounts.go); they are never in the stage's layers.
	Mounts []BindMount

	// Test makes the stage a gate: the command must exit 0.
	Test *Command
	// Reports is an absolute directory in the test container whose files
	// (e.g. pytest --junitxml) are copied to the host, pass or fail.
	Reports Value
	// AllowFailure makes a gate advisory: reported, never blocking export.
	AllowFailure bool
	// Checks are image checks of a non-gate stage; they gate its export.
	Checks *Checks
	// Purity switches the built-in purity check of a gated image on or off;
	// nil means the default (on for a stage with gated_by).
	Purity *bool
	// GatedBy names the test stages that must pass before this stage is
	// exported, pushed or written.
	GatedBy []Value
	// Services are the services a gate runs beside (see services.go).
	Services []Value
}

// IsGate reports whether the stage is a test stage.
func (s *Stage) IsGate() bool { return s.Test != nil }

// Deps returns the stages s is built from: its from stage, then the stages
// its copies read from, then the stages it mounts, each once, in file order.
func (s *Stage) Deps() []string {
	var deps []string
	if s.FromStage != "" {
		deps = append(deps, s.FromStage)
	}
	for _, c := range s.Copy {
		if c.From.Value != "" && !contains(deps, c.From.Value) {
			deps = append(deps, c.From.Value)
		}
	}
	for _, m := range s.Mounts {
		if !contains(deps, m.From.Value) {
			deps = append(deps, m.From.Value)
		}
	}
	return deps
}

// Pipeline is a parsed, argument-substituted and validated stagebuild.yaml.
type Pipeline struct {
	File    string
	Version int
	Args    []Arg
	// ArgValues holds the effective value of every arg after CLI overrides.
	ArgValues map[string]string
	Default   Value
	Stages    []*Stage
	// CACerts are the trusted CA bundles of every step (see ca.go).
	CACerts []Value
	// Services are the top-level services: (see services.go).
	Services []*Service
	// Warnings are non-fatal findings, such as an unused --build-arg.
	Warnings []string

	byName map[string]*Stage
}

// Stage returns the stage with the given name, or nil.
func (p *Pipeline) Stage(name string) *Stage { return p.byName[name] }

// StageNames returns the stage names in declaration order.
func (p *Pipeline) StageNames() []string {
	names := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		names[i] = s.Name
	}
	return names
}

// DefaultTarget is the declared default, or "service" when none is declared.
func (p *Pipeline) DefaultTarget() string {
	if p.Default.Value != "" {
		return p.Default.Value
	}
	return "service"
}

// Checks are the image checks declared under a stage's checks: key.
type Checks struct {
	Pos      Pos
	Files    []FileCheck
	Commands []CommandCheck
	Metadata *MetadataCheck
	Smoke    *SmokeCheck
}

// FileCheck asserts a path in the image. Exists defaults to true; Mode
// (octal, e.g. "0755"), Owner ("uid:gid" or "uid") and Contains (a regular
// expression over the file content) are checked when set.
type FileCheck struct {
	Path     Value
	Exists   bool
	Mode     Value
	Owner    Value
	Contains Value
	Pos      Pos
}

// CommandCheck runs a command inside the image (with its env, workdir and
// user) and asserts its exit code (default 0) and output.
type CommandCheck struct {
	Name   Value
	Run    Command
	Exit   int
	Stdout Value // regular expression
	Stderr Value // regular expression
	Pos    Pos
}

// MetadataCheck asserts the image config. Unset fields are not checked.
type MetadataCheck struct {
	Entrypoint *Command
	Cmd        *Command
	Expose     []Value
	// User is an exact user, or "non-root": any user but root/0.
	User    Value
	Workdir Value
	Env     []KV
	Labels  []KV
	Pos     Pos
}

// SmokeCheck starts the image's own entrypoint and waits until it is ready:
// a log line matches Log, and/or an HTTP GET of HTTP.Path answers, and/or
// (TCP) the port accepts a connection.
type SmokeCheck struct {
	// PortEnv names the env var through which the allocated port is passed.
	PortEnv Value
	// Port is the fixed port a service that cannot be told its port
	// listens on (instead of PortEnv); 0 when unset.
	Port Value
	// TCP: ready once the port accepts a connection.
	TCP  bool
	HTTP *HTTPProbe
	Log  Value // regular expression over stdout and stderr
	// Timeout bounds the wait for readiness; default 30s.
	Timeout Value
	Env     []KV
	Pos     Pos
}

// HTTPProbe is a GET of Path on 127.0.0.1:<port>. Status defaults to 200;
// Body is a regular expression over the response body.
type HTTPProbe struct {
	Path   Value
	Status int
	Body   Value
	Pos    Pos
}
