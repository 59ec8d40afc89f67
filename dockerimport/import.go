package dockerimport

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/stagebuild/stagebuild/initgen"
	"github.com/stagebuild/stagebuild/pipeline"
)

// Note is one finding, printed as "KIND: TEXT": detected (read from the
// Dockerfile), guessed (a choice to check), converted (rewritten), or
// warning (no pipeline equivalent; dropped or approximated).
type Note struct {
	Kind string
	Text string
}

func (n Note) String() string { return n.Kind + ": " + n.Text }

// Result is the imported pipeline and the files to write beside it.
type Result struct {
	// Pipeline is the stagebuild.yaml text; it parses.
	Pipeline []byte
	// Generated are lock-derived requirements files (see initgen).
	Generated []initgen.File
	// Lock is the lockfile Generated come from, or "".
	Lock string
	// Production is the stage chosen as the service image, or "".
	Production string
	Notes      []Note
}

// Files are the files to write: the pipeline first.
func (r *Result) Files() []initgen.File {
	return append([]initgen.File{{Name: pipeline.DefaultFile, Data: r.Pipeline}}, r.Generated...)
}

// Error is a Dockerfile import cannot read, with the fix.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Import converts the Dockerfile text data, read from the file name (used
// in messages), whose build context is ctx.
func Import(ctx fs.FS, name string, data []byte) (*Result, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, &Error{fmt.Sprintf("%s: %s (fix the Dockerfile syntax)", where(name, err), cleanErr(err))}
	}
	stages, meta, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, &Error{fmt.Sprintf("%s: %s (fix the instruction)", where(name, err), cleanErr(err))}
	}
	if len(stages) == 0 {
		return nil, &Error{fmt.Sprintf("%s: no FROM instruction (give the Dockerfile of a multi-stage build)", name)}
	}
	c := &converter{ctx: ctx, file: name, byName: map[string]*stage{}, origin: map[string]string{}}
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		c.warn(line, "%s", w.Short)
	}
	if err := c.tools(stages); err != nil {
		return nil, err
	}
	c.metaArgs(meta)
	for i := range stages {
		if err := c.stage(i, &stages[i]); err != nil {
			return nil, err
		}
	}
	c.unwrapCommands()
	c.fixPrograms()
	c.gateCommands()
	c.chooseProduction()
	c.serviceChecks()
	text, err := c.render()
	if err != nil {
		return nil, err
	}
	return &Result{Pipeline: text, Generated: c.generated, Lock: c.lock, Production: c.production, Notes: c.notes}, nil
}

// where is NAME:LINE for an error that carries a Dockerfile location.
func where(name string, err error) string {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return fmt.Sprintf("%s:%d", name, le.Locations[0][0].Start.Line)
	}
	return name
}

var linePrefix = regexp.MustCompile(`^dockerfile parse error (on )?line \d+: `)

// cleanErr is the parser's message without its own "on line N" prefix.
func cleanErr(err error) string {
	var le *parser.LocationError
	if errors.As(err, &le) && errors.Unwrap(le) != nil {
		err = errors.Unwrap(le)
	}
	return linePrefix.ReplaceAllString(strings.TrimSpace(err.Error()), "")
}
