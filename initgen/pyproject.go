package initgen

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// pyproject is the part of pyproject.toml init reads.
type pyproject struct {
	Project struct {
		Name           string   `toml:"name"`
		RequiresPython string   `toml:"requires-python"`
		Dependencies   []string `toml:"dependencies"`
	} `toml:"project"`
	Tool struct {
		Poetry struct {
			Name         string         `toml:"name"`
			Dependencies map[string]any `toml:"dependencies"`
		} `toml:"poetry"`
		Pytest map[string]any `toml:"pytest"`
	} `toml:"tool"`
}

// readPyproject reads pyproject.toml, or returns nil when there is none.
func readPyproject(fsys fs.FS) (*pyproject, error) {
	data, err := fs.ReadFile(fsys, "pyproject.toml")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pyproject.toml: %w", err)
	}
	var p pyproject
	if err := toml.Unmarshal(data, &p); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, &Error{fmt.Sprintf("pyproject.toml:%d:%d: invalid TOML: %s (fix the TOML syntax)", row, col, strings.TrimPrefix(de.Error(), "toml: "))}
		}
		return nil, &Error{fmt.Sprintf("pyproject.toml: invalid TOML: %v (fix the TOML syntax)", err)}
	}
	return &p, nil
}

// name is the project's name, or "".
func (p *pyproject) name() string {
	if p == nil {
		return ""
	}
	if p.Project.Name != "" {
		return p.Project.Name
	}
	return p.Tool.Poetry.Name
}

// requiresPython is the declared Python requirement, or "".
func (p *pyproject) requiresPython() string {
	if p == nil {
		return ""
	}
	if p.Project.RequiresPython != "" {
		return p.Project.RequiresPython
	}
	if v, ok := p.Tool.Poetry.Dependencies["python"].(string); ok {
		return v
	}
	return ""
}

// declaresDependencies reports whether the project lists dependencies that
// only a lockfile or requirements file could pin.
func (p *pyproject) declaresDependencies() bool {
	if p == nil {
		return false
	}
	n := len(p.Tool.Poetry.Dependencies)
	if _, ok := p.Tool.Poetry.Dependencies["python"]; ok {
		n--
	}
	return len(p.Project.Dependencies) > 0 || n > 0
}
