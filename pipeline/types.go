package pipeline

import "fmt"

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
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
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
// same relative path under the stage's workdir.
type Copy struct {
	Src Value
	To  Value
	Pos Pos
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

	Copy  []Copy
	Run   []Command
	Cache []Value

	// Test makes the stage a gate: the command must exit 0.
	Test *Command
	// GatedBy names the test stages that must pass before this stage is
	// exported, pushed or written.
	GatedBy []Value
}

// IsGate reports whether the stage is a test stage.
func (s *Stage) IsGate() bool { return s.Test != nil }

// Pipeline is a parsed, argument-substituted and validated stagebuild.yaml.
type Pipeline struct {
	File    string
	Version int
	Args    []Arg
	// ArgValues holds the effective value of every arg after CLI overrides.
	ArgValues map[string]string
	Default   Value
	Stages    []*Stage
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
