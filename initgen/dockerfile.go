package initgen

import (
	"encoding/json"
	"strings"
)

// dockerConfig is the image config the final stage of a Dockerfile sets.
type dockerConfig struct {
	Entrypoint, Cmd *Command
	Expose          []string
}

// parseDockerfile reads ENTRYPOINT, CMD and EXPOSE of the last stage of a
// Dockerfile. Line continuations and comments are understood; parser
// directives, heredocs and variables are not.
func parseDockerfile(text string) dockerConfig {
	var cfg dockerConfig
	for _, line := range dockerLines(text) {
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(word) {
		case "FROM":
			cfg = dockerConfig{}
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
	return cfg
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
