package build

import (
	"context"
	"fmt"
	"io"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/services"
)

// CheckMounts fails before any solve when the plan needs a secret or an
// SSH agent the command line did not give.
func CheckMounts(pl *plan.Plan, secrets []buildflags.Secret, ssh []sshprovider.AgentConfig) error {
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
	// services serves the env files of gates with services.
	services *services.Manager
}

func (s *secretStore) GetSecret(ctx context.Context, id string) ([]byte, error) {
	if b, ok := s.extra[id]; ok {
		return b, nil
	}
	if b, ok, err := s.services.Secret(ctx, id); ok {
		return b, err
	}
	if s.user != nil {
		return s.user.GetSecret(ctx, id)
	}
	return nil, secrets.ErrNotFound
}
