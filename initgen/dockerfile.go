package initgen

import (
	"encoding/json"
	"strings"
)

// dockerConfig is the image config the production stage of a Dockerfile
// sets.
type dockerConfig struct {
	Entrypoint, Cmd *Command
	Expose          []string
	// Stage is the stage's name, or "".
	Stage string
	// Unwrapped are the tool wrappers (poetry run ...) taken off the
	// command: init installs no Poetry, uv or Pipenv into the image.
	Unwrapped []string
}

// ProductionNames name a Dockerfile's production stage, in order of
// preference; without one, the last stage is the service.
func ProductionNames() []string {
	return []string{"prod", "production", "release", "runtime", "service", "final"}
}

// toolWrappers run a command in a tool's environment (poetry run X); in an
// image without the tool, the command is X.
var toolWrappers = [][]string{{"poetry", "run"}, {"uv", "run"}, {"pipenv", "run"}, {"pdm", "run"}, {"hatch", "run"}}

// parseDockerfile reads ENTRYPOINT, CMD and EXPOSE of the production stage
// of a Dockerfile (by name, else the last), with tool wrappers taken off
// the command (seed 001's CMD ["poetry", "run", "uvicorn", ...]). Line
// continuations and comments are understood; parser directives, heredocs,
// variables and inheritance between stages are not (stagebuild import
// reads a Dockerfile fully).
func parseDockerfile(text string) dockerConfig {
	var stages []dockerConfig
	for _, line := range dockerLines(text) {
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		if strings.ToUpper(word) == "FROM" {
			f := strings.Fields(rest)
			name := ""
			if len(f) >= 3 && strings.EqualFold(f[len(f)-2], "as") {
				name = strings.ToLower(f[len(f)-1])
			}
			stages = append(stages, dockerConfig{Stage: name})
			continue
		}
		if len(stages) == 0 {
			continue
		}
		cfg := &stages[len(stages)-1]
		switch strings.ToUpper(word) {
		case "ENTRYPOINT":
			cfg.Entrypoint = dockerCommand(rest)
		case "CMD":
			cfg.Cmd = dockerCommand(rest)
		case "EXPOSE":
			for _, port := range strings.Fields(rest) {
				if !strings.Contains(port, "$") {
					cfg.Expose = append(cfg.Expose, port)
				}
			}
		}
	}
	if len(stages) == 0 {
		return dockerConfig{}
	}
	cfg := stages[len(stages)-1]
pick:
	for _, n := range ProductionNames() {
		for _, s := range stages {
			if s.Stage == n && (s.Entrypoint != nil || s.Cmd != nil) {
				cfg = s
				break pick
			}
		}
	}
	for _, c := range []*Command{cfg.Entrypoint, cfg.Cmd} {
		if w := c.unwrap(); w != "" {
			cfg.Unwrapped = append(cfg.Unwrapped, w)
		}
	}
	return cfg
}

// unwrap takes a tool wrapper off the command and returns it ("poetry
// run"), or "".
func (c *Command) unwrap() string {
	if c == nil {
		return ""
	}
	words := c.Args
	if c.Shell {
		words = strings.Fields(c.Args[0])
	}
	for _, w := range toolWrappers {
		if len(words) > len(w) && words[0] == w[0] && words[1] == w[1] {
			if c.Shell {
				c.Args[0] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.Args[0]), w[0]))
				c.Args[0] = strings.TrimSpace(strings.TrimPrefix(c.Args[0], w[1]))
			} else {
				c.Args = append([]string(nil), c.Args[len(w):]...)
			}
			return w[0] + " " + w[1]
		}
	}
	return ""
}

// dockerLines joins continued lines and drops comments and blank lines.
func dockerLines(text string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasSuffix(t, `\`) {
			cur.WriteString(strings.TrimSuffix(t, `\`) + " ")
			continue
		}
		cur.WriteString(t)
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, strings.Join(strings.Fields(s), " "))
		}
		cur.Reset()
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// dockerCommand reads the exec form (a JSON array) or the shell form.
func dockerCommand(rest string) *Command {
	if strings.HasPrefix(rest, "[") {
		var args []string
		if err := json.Unmarshal([]byte(rest), &args); err == nil {
			return &Command{Args: args}
		}
	}
	if rest == "" {
		return nil
	}
	return &Command{Args: []string{rest}, Shell: true}
}

func (c *Command) String() string {
	if c.Shell {
		return c.Args[0]
	}
	b, _ := json.Marshal(c.Args)
	return string(b)
}
