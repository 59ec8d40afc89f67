package initgen

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/stagebuild/stagebuild/pipeline"
)

// Devcontainer describes .devcontainer/devcontainer.json for a project's
// localdev image: the image, the directory the code lives in (where the
// workspace is mounted) and the interpreter with the test deps.
type Devcontainer struct {
	Name    string
	Image   string
	Workdir string
	Python  string
	// PytestArgs are set when localdev runs pytest: VS Code's test
	// explorer then runs it the same way.
	PytestArgs []string
}

// LocaldevStage is the stage a devcontainer runs.
const LocaldevStage = "localdev"

// DevcontainerFor reads the localdev stage of a pipeline: its workdir and
// VIRTUAL_ENV, inherited along from: as in the image config.
func DevcontainerFor(p *pipeline.Pipeline, name, image string) (*Devcontainer, error) {
	s := p.Stage(LocaldevStage)
	if s == nil {
		return nil, &Error{fmt.Sprintf("%s: no %s stage (add one built from the stage that has the code, the tests and the test deps; stagebuild init writes one)", p.File, LocaldevStage)}
	}
	d := &Devcontainer{Name: name + " (localdev)", Image: image, Python: "python"}
	var entrypoint, cmd *pipeline.Command
	seen := map[string]bool{}
	for st := s; st != nil && !seen[st.Name]; st = p.Stage(st.FromStage) {
		seen[st.Name] = true
		if d.Workdir == "" && st.Workdir.Value != "" {
			d.Workdir = st.Workdir.Value
		}
		for _, e := range st.Env {
			if e.Key == "VIRTUAL_ENV" && d.Python == "python" {
				d.Python = path.Join(e.Value, "bin", "python")
			}
		}
		if entrypoint == nil && st.Entrypoint != nil {
			entrypoint, cmd = st.Entrypoint, st.Cmd
		}
	}
	if d.Workdir == "" {
		d.Workdir = Workdir
	}
	if entrypoint != nil && !entrypoint.Shell && path.Base(entrypoint.Args[0]) == "pytest" {
		d.PytestArgs = append(append([]string{}, entrypoint.Args[1:]...), cmdArgs(cmd)...)
	}
	return d, nil
}

func cmdArgs(c *pipeline.Command) []string {
	if c == nil || c.Shell {
		return nil
	}
	return c.Args
}

// JSON renders devcontainer.json.
func (d *Devcontainer) JSON() ([]byte, error) {
	settings := map[string]any{"python.defaultInterpreterPath": d.Python}
	if d.PytestArgs != nil {
		settings["python.testing.pytestEnabled"] = true
		settings["python.testing.pytestArgs"] = d.PytestArgs
	}
	doc := struct {
		Name            string         `json:"name"`
		Image           string         `json:"image"`
		WorkspaceFolder string         `json:"workspaceFolder"`
		WorkspaceMount  string         `json:"workspaceMount"`
		OverrideCommand bool           `json:"overrideCommand"`
		Customizations  map[string]any `json:"customizations"`
	}{
		Name:            d.Name,
		Image:           d.Image,
		WorkspaceFolder: d.Workdir,
		WorkspaceMount:  "source=${localWorkspaceFolder},target=" + d.Workdir + ",type=bind",
		OverrideCommand: true,
		Customizations: map[string]any{"vscode": map[string]any{
			"extensions": []string{"ms-python.python"},
			"settings":   settings,
		}},
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	return append(out, '\n'), err
}

// ImageName is the default localdev image name for a project directory:
// its base name made a valid repository name, tagged localdev.
func ImageName(dir string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(path.Base(strings.ReplaceAll(dir, `\`, "/"))) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			sep = false
		default:
			sep = true
		}
	}
	name := b.String()
	if name == "" {
		name = "app"
	}
	return name + ":" + LocaldevStage
}
