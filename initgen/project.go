package initgen

import (
	"fmt"
	"io/fs"
)

// Defaults of the generated pipeline.
const (
	// PythonImage is the base image: the only Python image of the test
	// environment. The project's requested version only becomes a comment.
	PythonImage = "python:3.11-slim-bookworm"
	Workdir     = "/app"
	Venv        = "/opt/venv"
	PipCache    = "/root/.cache/pip"
	// ServicePort is the port a detected web server is bound to.
	ServicePort = "8000"
)

// Names of the requirements files generated from a lockfile.
const (
	LockRequirements    = "requirements.lock.txt"
	LockDevRequirements = "requirements-dev.lock.txt"
)

// Note is one finding, printed as "detected: TEXT" or "guessed: TEXT".
type Note struct {
	Guessed bool
	Text    string
}

func (n Note) String() string {
	if n.Guessed {
		return "guessed: " + n.Text
	}
	return "detected: " + n.Text
}

// File is a file to write next to the pipeline.
type File struct {
	Name string // slash path relative to the project directory
	Data []byte
}

// Command is an entrypoint or cmd: an exec-form argv, or one shell string.
type Command struct {
	Args  []string
	Shell bool
}

// Install is what a dependency stage copies and runs.
type Install struct {
	Copy []string
	Run  []string
}

// Project is what Inspect found, and everything the pipeline is made from.
type Project struct {
	// Manager is "pip", "poetry", "uv" or "pipenv"; "" without manifests.
	Manager string
	// Installer is what the pipeline installs with: InstallerUV (also
	// when empty) or InstallerPip (uv.go). The caller sets it.
	Installer string
	// Lock is the lockfile the generated requirements come from, or "".
	Lock     string
	Deps     Install
	TestDeps Install
	// Generated are the lock-derived requirements files.
	Generated []File
	// MainPackages and TestPackages are normalised distribution names.
	MainPackages, TestPackages []string

	// Sources are the context paths holding the code (package dirs, src or
	// top-level modules); Package is the import name of the main package.
	Sources    []string
	Package    string
	SrcLayout  bool
	PythonPath string

	// TestsDir is "tests", "test" or "" (none); TestConfig are the files
	// pytest reads its configuration and root fixtures from.
	TestsDir   string
	TestConfig []string
	Runner     string // "pytest" or "unittest"

	Entrypoint, Cmd *Command
	// ServiceCopy are files the service stage needs besides Sources (an
	// entrypoint script named by a Dockerfile).
	ServiceCopy []string
	Expose      []string
	// ImportCheck is the module the service image must import, or "".
	ImportCheck string
	// Route is the path the smoke check GETs ("" probes TCP), found in
	// RouteAt.
	Route, RouteAt string

	// Python is the requested Python version and where it was read, or "".
	Python string

	Notes []Note
}

// Error is a project stagebuild init cannot describe, with the fix.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

type inspector struct {
	fsys fs.FS
	p    *Project
	py   *pyproject
}

func (in *inspector) detected(format string, args ...any) {
	in.p.Notes = append(in.p.Notes, Note{Text: fmt.Sprintf(format, args...)})
}

func (in *inspector) guessed(format string, args ...any) {
	in.p.Notes = append(in.p.Notes, Note{Guessed: true, Text: fmt.Sprintf(format, args...)})
}

// Inspect reads the project at the root of fsys.
func Inspect(fsys fs.FS) (*Project, error) {
	in := &inspector{fsys: fsys, p: &Project{}}
	var err error
	if in.py, err = readPyproject(fsys); err != nil {
		return nil, err
	}
	for _, step := range []func() error{in.deps, in.sources, in.tests, in.entrypoint, in.python} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return in.p, nil
}

// Files are the files to write: the pipeline first, then the generated
// requirements.
func (p *Project) Files() ([]File, error) {
	text, err := p.Pipeline()
	if err != nil {
		return nil, err
	}
	return append([]File{{Name: "stagebuild.yaml", Data: text}}, p.Generated...), nil
}
