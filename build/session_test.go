package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/plan"
)

func TestCheckMounts(t *testing.T) {
	pl := &plan.Plan{Stages: []plan.Stage{
		{Name: "deps", Steps: []plan.Step{{Kind: "run", Source: "stagebuild.yaml:7:9",
			Secrets: []plan.SecretMount{{ID: "pypi"}, {ID: "extra", Optional: true}}}}},
		{Name: "clone", Steps: []plan.Step{{Kind: "run", Source: "stagebuild.yaml:12:9", SSH: []string{"github"}}}},
	}}
	pypi := []buildflags.Secret{{ID: "pypi", Env: "X"}}
	github := []sshprovider.AgentConfig{{ID: "github"}}
	if err := CheckMounts(pl, pypi, github); err != nil {
		t.Errorf("everything given: %v", err)
	}
	err := CheckMounts(pl, nil, github)
	if err == nil || !strings.Contains(err.Error(), `stage deps needs secret "pypi" (stagebuild.yaml:7:9)`) ||
		!strings.Contains(err.Error(), "--secret id=pypi") {
		t.Errorf("missing secret: %v", err)
	}
	err = CheckMounts(pl, pypi, []sshprovider.AgentConfig{{ID: "default"}})
	if err == nil || !strings.Contains(err.Error(), `stage clone needs ssh "github"`) || !strings.Contains(err.Error(), "--ssh github") {
		t.Errorf("missing ssh: %v", err)
	}
}

// The session's secret store serves stagebuild's own secrets first, then
// the user's, and nothing else; a bad --ssh path fails the session set-up.
func TestSecretStore(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(file, []byte("user-value"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SB_UNIT_PASS", "env-value")
	user, err := secretsprovider.NewStore([]secretsprovider.Source{
		{ID: "tok", FilePath: file}, {ID: "pass", Env: "SB_UNIT_PASS"}, {ID: "own", FilePath: file}})
	if err != nil {
		t.Fatal(err)
	}
	store := &secretStore{extra: map[string][]byte{"own": []byte("internal")}, user: user}
	for id, want := range map[string]string{"tok": "user-value", "pass": "env-value", "own": "internal"} {
		got, err := store.GetSecret(context.Background(), id)
		if err != nil || string(got) != want {
			t.Errorf("GetSecret(%s) = %q, %v; want %q", id, got, err, want)
		}
	}
	if _, err := store.GetSecret(context.Background(), "nope"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := (&secretStore{}).GetSecret(context.Background(), "tok"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("no user secrets: %v", err)
	}

	r := &runner{opts: Options{Secrets: []buildflags.Secret{{ID: "tok", File: file}}}}
	if _, err := r.attachables(); err != nil {
		t.Errorf("secrets only: %v", err)
	}
	r.opts.SSH = []sshprovider.AgentConfig{{ID: "default", Paths: []string{filepath.Join(t.TempDir(), "no-agent.sock")}}}
	if _, err := r.attachables(); err == nil || !strings.HasPrefix(err.Error(), "--ssh: ") {
		t.Errorf("a missing agent socket: %v", err)
	}
}
