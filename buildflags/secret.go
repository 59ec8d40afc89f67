package buildflags

import (
	"fmt"
	"os"
	"strings"

	"github.com/moby/buildkit/session/sshforward/sshprovider"
)

// Secret is one --secret: its content comes from a file or an env var.
type Secret struct {
	ID   string
	File string
	Env  string
}

// ParseSecret parses --secret in buildx syntax: "id=ID,src=PATH",
// "id=ID,env=VAR", "id=ID" (from the env var ID, else the file ID) with
// "source" for "src" and an optional "type=file|env".
func ParseSecret(spec string) (Secret, error) {
	var s Secret
	typ := ""
	for _, field := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return s, fmt.Errorf("--secret %q: %q is not key=value (write id=ID,src=FILE or id=ID,env=VAR)", spec, field)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "id":
			s.ID = v
		case "src", "source":
			s.File = v
		case "env":
			s.Env = v
		case "type":
			typ = v
		default:
			return s, fmt.Errorf("--secret %q: unknown key %q (use id, src or env)", spec, k)
		}
	}
	if s.ID == "" {
		return s, fmt.Errorf("--secret %q: missing id= (write id=ID,src=FILE)", spec)
	}
	switch {
	case typ != "" && typ != "file" && typ != "env":
		return s, fmt.Errorf("--secret %q: type=%s: use type=file or type=env", spec, typ)
	case s.File == "" && s.Env == "" && typ == "env":
		s.Env = s.ID
	case s.File == "" && s.Env == "":
		if _, ok := os.LookupEnv(s.ID); ok && typ != "file" {
			s.Env = s.ID
		} else {
			s.File = s.ID
		}
	}
	if s.File != "" {
		if _, err := os.Stat(s.File); err != nil {
			return s, fmt.Errorf("--secret %q: %s: no such file (give the path of the secret with src=)", spec, s.File)
		}
	}
	return s, nil
}

// ParseSSH parses --ssh: "default", "default=PATH" or "ID=PATH[,PATH]"
// (an agent socket or private key files; with no path, $SSH_AUTH_SOCK).
func ParseSSH(spec string) (sshprovider.AgentConfig, error) {
	id, paths, _ := strings.Cut(spec, "=")
	if id == "" {
		return sshprovider.AgentConfig{}, fmt.Errorf("--ssh %q: write default, default=PATH or ID=PATH", spec)
	}
	c := sshprovider.AgentConfig{ID: id}
	if paths != "" {
		c.Paths = strings.Split(paths, ",")
	} else if os.Getenv("SSH_AUTH_SOCK") == "" {
		return c, fmt.Errorf("--ssh %s: SSH_AUTH_SOCK is not set (start an agent, or give a socket or key: --ssh %s=PATH)", id, id)
	}
	return c, nil
}
