package initgen

import (
	"io/fs"
)

// Writer writes pipeline YAML the way init does: comments aligned in one
// column, short lists in flow style, scalars quoted only when YAML would
// misread them. `stagebuild import` writes its pipeline with it.
type Writer struct{ w writer }

// Line writes text at indent, with an optional trailing comment.
func (w *Writer) Line(indent int, text, comment string) { w.w.line(indent, text, comment) }

// Comment writes a comment line.
func (w *Writer) Comment(indent int, text string) { w.w.comment(indent, text) }

// Blank writes an empty line.
func (w *Writer) Blank() { w.w.blank() }

// List writes key: [a, b]; nothing for an empty list.
func (w *Writer) List(indent int, key string, items []string, comment string) {
	w.w.list(indent, key, items, comment)
}

// Commands writes key: cmd for one shell command, else a block list.
func (w *Writer) Commands(indent int, key string, cmds []string) { w.w.commands(indent, key, cmds) }

// Command writes an entrypoint or cmd in exec form or shell form.
func (w *Writer) Command(indent int, key string, c *Command) { w.w.command(indent, key, c) }

// Bytes returns what was written.
func (w *Writer) Bytes() []byte { return []byte(w.w.b.String()) }

// Scalar writes s as a YAML scalar for a mapping value or list item.
func Scalar(s string) string { return scalar(s) }

// Flow writes a list in flow style: [a, "b c"].
func Flow(items []string) string { return flow(items) }

// ShellWord quotes a word for /bin/sh when it needs it.
func ShellWord(s string) string { return shellWord(s) }

// InspectDeps finds the project's dependency manifests the way init does,
// and returns the installs init would write: for a lockfile (Poetry, uv,
// Pipenv), pip installs of requirements files generated from it (in
// Generated), so neither Poetry nor uv is needed in the image. Deps.Run
// starts with the virtualenv init creates; TestDeps holds the test groups.
func InspectDeps(fsys fs.FS) (*Project, error) {
	in := &inspector{fsys: fsys, p: &Project{}}
	var err error
	if in.py, err = readPyproject(fsys); err != nil {
		return nil, err
	}
	if err := in.deps(); err != nil {
		return nil, err
	}
	return in.p, nil
}

// FlowScalar writes s as an item of a flow list or mapping: a, "b c".
func FlowScalar(s string) string { f := flow([]string{s}); return f[1 : len(f)-1] }
