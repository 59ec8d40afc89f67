package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"

	"github.com/stagebuild/stagebuild/plan"
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

// CheckMounts fails before any solve when the plan needs a secret or an
// SSH agent the command line did not give.
func CheckMounts(pl *plan.Plan, secrets []Secret, ssh []sshprovider.AgentConfig) error {
	have := map[string]bool{}
	for _, s := range secrets {
		have["secret:"+s.ID] = true
	}
	for _, s := range ssh {
		have["ssh:"+s.ID] = true
	}
	for _, st := range pl.Stages {
		for _, step := range st.Steps {
			for _, s := range step.Secrets {
				if !s.Optional && !have["secret:"+s.ID] {
					return fmt.Errorf("stage %s needs secret %q (%s): pass --secret id=%s,src=FILE or --secret id=%s,env=VAR",
						st.Name, s.ID, step.Source, s.ID, s.ID)
				}
			}
			for _, id := range step.SSH {
				if !have["ssh:"+id] {
					return fmt.Errorf("stage %s needs ssh %q (%s): pass --ssh %s (the agent at $SSH_AUTH_SOCK) or --ssh %s=PATH",
						st.Name, id, step.Source, id, id)
				}
			}
		}
	}
	return nil
}

// attachables are the session services every solve gets: registry auth,
// the secret store (user secrets plus stagebuild's own) and the SSH agents.
func (r *runner) attachables() ([]session.Attachable, error) {
	// Registry credentials from the Docker config (docker login), as
	// buildctl and buildx use them, for --push, --cache-to and base images.
	out := []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(io.Discard)),
	})}
	var sources []secretsprovider.Source
	for _, s := range r.opts.Secrets {
		sources = append(sources, secretsprovider.Source{ID: s.ID, FilePath: s.File, Env: s.Env})
	}
	store := &secretStore{extra: r.opts.InternalSecrets, services: r.svc}
	if len(sources) > 0 {
		fs, err := secretsprovider.NewStore(sources)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		store.user = fs
	}
	out = append(out, secretsprovider.NewSecretProvider(store))
	if len(r.opts.SSH) > 0 {
		sp, err := sshprovider.NewSSHAgentProvider(r.opts.SSH)
		if err != nil {
			return nil, fmt.Errorf("--ssh: %w", err)
		}
		out = append(out, sp)
	}
	return out, nil
}

// secretStore serves stagebuild's own secrets (InternalSecrets), then the
// user's.
type secretStore struct {
	extra map[string][]byte
	user  secrets.SecretStore
	// services serves the env files of gates with services (services.go).
	services *serviceManager
}

func (s *secretStore) GetSecret(ctx context.Context, id string) ([]byte, error) {
	if b, ok := s.extra[id]; ok {
		return b, nil
	}
	if b, ok, err := s.services.secret(ctx, id); ok {
		return b, err
	}
	if s.user != nil {
		return s.user.GetSecret(ctx, id)
	}
	return nil, secrets.ErrNotFound
}
