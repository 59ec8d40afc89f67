package dockerimport

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/stagebuild/stagebuild/initgen"
)

// A lockTool installs a project from its lockfile; stagebuild installs the
// lock with pip instead (init's lockfile route), so the tool leaves the
// image.
type lockTool struct {
	name, lock string
	// install matches the tool's project install; mainOnly and devOnly
	// read which groups it installs (else main and dev).
	install, mainOnly, devOnly *regexp.Regexp
	// setup matches the steps that only serve the tool: installing or
	// configuring it.
	setup *regexp.Regexp
	// devDefault: the install takes the dev group unless told not to.
	devDefault bool
}

var lockTools = []lockTool{
	{name: "poetry", lock: "poetry.lock",
		install:    regexp.MustCompile(`^poetry\s+(install|sync)\b`),
		mainOnly:   regexp.MustCompile(`--without[= ]\S*\bdev\b|--only[= ]main\b|--no-dev\b`),
		devOnly:    regexp.MustCompile(`--only[= ]\S*\b(dev|test)\b`),
		setup:      regexp.MustCompile(`^((python3? -m )?pip3? install\b[^;&|]*\bpoetry\b|pipx install\b[^;&|]*\bpoetry\b|curl\b.*install\.python-poetry\.org|poetry (config|self|--version|check)\b|(python3? )?-m pip install\b[^;&|]*\bpoetry\b)`),
		devDefault: true},
	{name: "uv", lock: "uv.lock",
		install:    regexp.MustCompile(`^uv\s+sync\b`),
		mainOnly:   regexp.MustCompile(`--no-dev\b|--only-group[= ]main\b`),
		devOnly:    regexp.MustCompile(`--only-dev\b`),
		setup:      regexp.MustCompile(`^((python3? -m )?pip3? install\b[^;&|]*\buv\b|pipx install\b[^;&|]*\buv\b|curl\b.*astral\.sh/uv|uv (venv|python install|--version)\b)`),
		devDefault: true},
	{name: "pipenv", lock: "Pipfile.lock",
		install:  regexp.MustCompile(`^pipenv\s+(install|sync)\b`),
		mainOnly: regexp.MustCompile(`^$`),
		devOnly:  regexp.MustCompile(`^$`),
		setup:    regexp.MustCompile(`^((python3? -m )?pip3? install\b[^;&|]*\bpipenv\b|pipx install\b[^;&|]*\bpipenv\b)`)},
}

var pipenvDev = regexp.MustCompile(`(^|\s)(-d|--dev)\b`)

// tool is the lock tool an image reference or text names, or "".
func tool(s string) string {
	for _, t := range lockTools {
		if regexp.MustCompile(`\b` + t.name + `\b`).MatchString(s) {
			return t.name
		}
	}
	return ""
}

// tools decides, before any stage is converted, which tools leave the
// image: those whose installs take the lockfile route (the lock is in
// the context), and those no step installs.
func (c *converter) tools(stages []instructions.Stage) error {
	c.absent, c.converted = map[string]bool{}, map[string]bool{}
	var texts []string
	for _, s := range stages {
		for _, cmd := range s.Commands {
			if r, ok := cmd.(*instructions.RunCommand); ok {
				texts = append(texts, strings.Join(r.CmdLine, " "))
			}
		}
	}
	for _, t := range lockTools {
		used, installed := false, false
		for _, text := range texts {
			for _, p := range simpleCommands(text) {
				w := strings.Join(strings.Fields(p.text), " ")
				used = used || t.install.MatchString(w)
				installed = installed || t.setup.MatchString(w)
			}
		}
		c.absent[t.name] = !installed
		if !used {
			continue
		}
		if _, err := fs.Stat(c.ctx, t.lock); err != nil {
			c.warn(0, "%s installs are kept as written: there is no %s in the build context to install from with pip", t.name, t.lock)
			continue
		}
		if c.lockDeps == nil {
			p, err := initgen.InspectDeps(c.ctx)
			if err != nil {
				return &Error{fmt.Sprintf("reading %s for the %s installs: %v", t.lock, t.name, err)}
			}
			if p.Lock != t.lock {
				c.warn(0, "%s installs are kept as written: the context's dependencies are read from %s", t.name, p.Lock)
				continue
			}
			c.lockDeps, c.lock, c.generated = p, p.Lock, p.Generated
			for _, n := range p.Notes {
				c.notes = append(c.notes, Note{Kind: map[bool]string{true: "guessed", false: "detected"}[n.Guessed], Text: n.Text})
			}
		}
		c.converted[t.name], c.absent[t.name] = true, true
	}
	return nil
}

// convertRun rewrites the parts of a RUN that use a converted tool: its
// setup is dropped, its install becomes pip installs of the generated
// requirements (returned as files to copy first), and tool wrappers
// (poetry run X) become X. A nil command means the RUN is dropped.
func (c *converter) convertRun(cmd *initgen.Command, ln int) (*initgen.Command, []string) {
	if !cmd.Shell {
		if args, t := unwrap(cmd.Args, c.absent); t != "" {
			c.note("converted", ln, "RUN %s → %s (%s is not in the image)", initgen.Flow(cmd.Args), initgen.Flow(args), t)
			return &initgen.Command{Args: args}, nil
		}
		return cmd, nil
	}
	parts := simpleCommands(cmd.Args[0])
	var kept []simpleCommand
	var files []string
	changed := false
	for _, p := range parts {
		words := strings.Fields(p.text)
		w := strings.Join(words, " ")
		t, drop, install := c.toolStep(w)
		switch {
		case drop:
			changed = true
			c.note("converted", ln, "RUN %s: dropped (%s is not needed in the image: %s is installed with pip)", w, t.name, c.lock)
			continue
		case install != "":
			changed = true
			f := c.lockFiles(t, w)
			// SOURCE_DATE_EPOCH makes pip write hash-based .pyc, as init's
			// installs do, so two builds of one commit give one image.
			install = "SOURCE_DATE_EPOCH=" + initgen.PycEpoch + " pip install --no-deps -r " + strings.Join(f, " -r ")
			c.note("converted", ln, "RUN %s → %s (generated from %s; the project itself is not installed, it runs from its sources)", w, install, c.lock)
			files = append(files, f...)
			p.text = install
		default:
			if args, tool := unwrap(words, c.absent); tool != "" {
				changed = true
				p.text = strings.Join(args, " ")
				c.note("converted", ln, "RUN %s → %s (%s is not in the image)", w, p.text, tool)
			} else if strings.HasPrefix(w, "uv pip install") && c.absent["uv"] {
				changed = true
				p.text = strings.Replace(strings.Replace(w, "uv pip install", "pip install", 1), " --system", "", 1)
				c.note("converted", ln, "RUN %s → %s (uv is not in the image)", w, p.text)
			}
		}
		if len(kept) == 0 {
			p.sep = ""
		}
		kept = append(kept, p)
	}
	if !changed {
		return cmd, nil
	}
	if len(kept) == 0 {
		return nil, nil
	}
	return &initgen.Command{Args: []string{joinCommands(kept)}, Shell: true}, files
}

// toolStep classifies a simple command: the setup of a converted tool
// (drop), or its project install (install is non-empty).
func (c *converter) toolStep(w string) (t lockTool, drop bool, install string) {
	for _, t := range lockTools {
		if !c.converted[t.name] {
			continue
		}
		if t.install.MatchString(w) {
			return t, false, w
		}
		if t.setup.MatchString(w) {
			return t, true, ""
		}
	}
	return lockTool{}, false, ""
}

// lockFiles are the generated requirements an install of the tool needs.
func (c *converter) lockFiles(t lockTool, w string) []string {
	dev := t.devDefault && !t.mainOnly.MatchString(w)
	if t.name == "pipenv" {
		dev = pipenvDev.MatchString(w)
	}
	hasDev := len(c.lockDeps.TestDeps.Copy) > 0
	switch {
	case t.devOnly.MatchString(w) && hasDev:
		return []string{initgen.LockDevRequirements}
	case dev && hasDev:
		return []string{initgen.LockRequirements, initgen.LockDevRequirements}
	}
	return []string{initgen.LockRequirements}
}

// unwrapCommands drops the wrapper of an absent tool from every stage's
// entrypoint, cmd and test: poetry run uvicorn ... becomes uvicorn ...
func (c *converter) unwrapCommands() {
	for _, s := range c.stages {
		for _, f := range []struct {
			what string
			cmd  **initgen.Command
			line int
		}{{"ENTRYPOINT", &s.Entrypoint, s.EntrypointLine}, {"CMD", &s.Cmd, s.CmdLine}, {"test of " + s.Name, &s.Test, s.TestLine}} {
			cmd := *f.cmd
			if cmd == nil {
				continue
			}
			words := cmd.Args
			if cmd.Shell {
				words = strings.Fields(cmd.Args[0])
			}
			args, t := unwrap(words, c.absent)
			if t == "" {
				continue
			}
			next := &initgen.Command{Args: args}
			if cmd.Shell {
				next = &initgen.Command{Args: []string{strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cmd.Args[0]), strings.Join(words[:len(words)-len(args)], " ")))}, Shell: true}
			}
			*f.cmd = next
			c.note("converted", f.line, "%s %s → %s (%s is not in the image)", f.what, show(cmd), show(next), t)
		}
	}
}

func show(c *initgen.Command) string {
	if c.Shell {
		return c.Args[0]
	}
	return initgen.Flow(c.Args)
}
