package dockerimport

import (
	"fmt"
	"io/fs"
	"maps"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/stagebuild/stagebuild/initgen"
)

type kv struct{ Key, Value string }

// copyEntry is one copy: entry; To is "" when it equals Src. Chown, Chmod
// and Exclude come from COPY/ADD --chown, --chmod and --exclude.
type copyEntry struct {
	Src, To      string
	URL          string // ADD --checksum of a URL: fetched, Src is ""
	Checksum     string
	From         string // a pipeline stage; Src is a path in it
	Chown, Chmod string
	Exclude      []string
}

type secret struct {
	ID, Target, Env string
	Optional        bool
}

// health is a HEALTHCHECK, proposed as the smoke check.
type health struct {
	Test []string
	Line int
}

// chain is what a stage has on top of its whole base chain.
type chain struct {
	workdir  string
	env      map[string]string
	files    map[string]bool // absolute paths of copied context files
	wholeCtx map[string]bool // absolute directories the whole context was copied to
	testDeps bool            // test dependencies are installed
	gate     bool            // built on a gate
	mainDeps bool            // the main group's generated requirements are installed
}

func (c chain) clone() chain {
	c.env, c.files, c.wholeCtx = maps.Clone(c.env), maps.Clone(c.files), maps.Clone(c.wholeCtx)
	return c
}

// stage is one pipeline stage being built.
type stage struct {
	Name      string
	From      string // an image, or the name of another stage
	FromStage bool
	prev      *stage // the stage this one continues, when a Dockerfile stage is split
	Origin    string // the Dockerfile stage it comes from
	Line      int    // the Dockerfile line it starts at
	Comment   string

	Workdir, User  string
	Env, Labels    []kv
	Expose         []string
	Entrypoint     *initgen.Command
	Cmd            *initgen.Command
	EntrypointLine int
	CmdLine        int
	Copy           []copyEntry
	Run            []initgen.Command
	Cache          []string
	Secrets        []secret
	SSH            []string
	// Mounts are the RUN --mount=type=bind,from=STAGE of its run steps.
	Mounts   []bindMount
	Test     *initgen.Command
	TestLine int
	Reports  string
	GatedBy  []string
	Health   *health
	// Markers are the files the test leaves for a COPY --from (touch X).
	Markers []string
	// CmdGate: the gate runs the command of the stage it is built on.
	CmdGate bool
	// NoPurity writes purity: false, for Why.
	NoPurity bool
	// mainInstall: a run step installs the main group's generated
	// requirements.
	mainInstall bool
	Checks      *initgen.ServiceCheck

	eff chain
}

// busy reports whether the stage has steps, so an instruction that would
// apply to them in a pipeline stage must start a new one.
func (s *stage) busy() bool { return len(s.Copy) > 0 || len(s.Run) > 0 || s.Test != nil }

// ran reports whether a run or test step was added, so a copy must start a
// new stage (a pipeline stage copies before it runs).
func (s *stage) ran() bool { return len(s.Run) > 0 || s.Test != nil }

// converter holds the state of one import.
type converter struct {
	ctx       fs.FS
	file      string
	stages    []*stage
	byName    map[string]*stage
	origin    map[string]string // Dockerfile stage name or index → pipeline stage
	args      []kv
	argSet    map[string]bool
	notes     []Note
	generated []initgen.File
	lock      string
	lockDeps  *initgen.Project
	// absent are the tools (poetry, uv, pipenv) that are not in any image
	// after the import.
	absent     map[string]bool
	converted  map[string]bool
	production string
	lastName   string // the pipeline name of the Dockerfile's last stage
}

func (c *converter) note(kind string, line int, format string, a ...any) {
	text := fmt.Sprintf(format, a...)
	if line > 0 {
		text = fmt.Sprintf("%s:%d: %s", c.file, line, text)
	}
	c.notes = append(c.notes, Note{Kind: kind, Text: text})
}

func (c *converter) warn(line int, format string, a ...any) { c.note("warning", line, format, a...) }

func lineOf(r []parser.Range) int {
	if len(r) == 0 {
		return 0
	}
	return r[0].Start.Line
}

// getter answers the lexer: an arg stays ${NAME}; an env var of the
// chain is ${NAME} (keepEnv) or its value; anything else stays ${NAME}
// and is reported. resolve replaces args by their defaults too, for the
// paths import itself reasons about.
type getter struct {
	c                *converter
	ch               chain
	keepEnv, resolve bool
	unknown          []string
}

func (g *getter) Get(name string) (string, bool) {
	if a, ok := g.c.argValue(name); ok {
		if g.resolve {
			return a, true
		}
		return "${" + name + "}", true
	}
	if v, ok := g.ch.env[name]; ok {
		if g.keepEnv && !g.resolve {
			return "${" + name + "}", true
		}
		return v, true
	}
	if name == "PATH" && g.resolve {
		return defaultPath, true
	}
	if g.keepEnv || name == "PATH" {
		return "${" + name + "}", true
	}
	g.unknown = append(g.unknown, name)
	return "${" + name + "}", true
}

func (g *getter) Keys() []string { return nil }

func (c *converter) argValue(name string) (string, bool) {
	if !c.argSet[name] {
		return "", false
	}
	for _, a := range c.args {
		if a.Key == name {
			return a.Value, true
		}
	}
	return "", true
}

var lex = shell.NewLex('\\')

// expand unquotes a Dockerfile word with BuildKit's lexer, rewriting its
// variables for a pipeline value (see getter). keepEnv keeps ${NAME} for
// the chain's env, as an env: value may.
func (c *converter) expand(s string, ch chain, line int, keepEnv bool) string {
	g := &getter{c: c, ch: ch, keepEnv: keepEnv}
	out, _, err := lex.ProcessWord(s, g)
	if err != nil {
		c.warn(line, "%s: %v; kept as written", s, err)
		return s
	}
	for _, n := range g.unknown {
		c.warn(line, "$%s is neither an ARG nor an ENV of this stage; declare it as an arg", n)
	}
	return out
}

// resolved is a word with every variable replaced by its value.
func (c *converter) resolved(s string, ch chain) string {
	out, _, err := lex.ProcessWord(s, &getter{c: c, ch: ch, resolve: true})
	if err != nil {
		return s
	}
	return out
}

// bindMount is a RUN --mount=type=bind,from=STAGE: a mounts: entry.
type bindMount struct {
	From, Source, Target string
}
