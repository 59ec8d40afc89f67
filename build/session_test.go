package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

func TestCheckMounts(t *testing.T) {
	p, err := pipeline.Parse("stagebuild.yaml", []byte(`version: 1
stages:
  deps:
    from: alpine:3
    secrets: [pypi, {id: extra, optional: true}]
    run:
      - pip install -r requirements.txt
  clone:
    from: deps
    ssh: [github]
    run:
      - git clone git@github.com:o/r.git
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := targets.Resolve(p, []string{"clone"})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Make(p, res, fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	pypi := []buildflags.Secret{{ID: "pypi", Env: "X"}}
	github := []sshprovider.AgentConfig{{ID: "github"}}
	if err := CheckMounts(pl, pypi, github); err != nil {
		t.Errorf("everything given: %v", err)
	}
	err = CheckMounts(pl, nil, github)
	if want := `stage deps needs secret "pypi" (stagebuild.yaml:7:9): pass --secret id=pypi,src=FILE or --secret id=pypi,env=VAR`; err == nil || err.Error() != want {
		t.Errorf("missing secret: %v\nwant %s", err, want)
	}
	err = CheckMounts(pl, pypi, []sshprovider.AgentConfig{{ID: "default"}})
	if want := `stage clone needs ssh "github" (stagebuild.yaml:12:9): pass --ssh github (the agent at $SSH_AUTH_SOCK) or --ssh github=PATH`; err == nil || err.Error() != want {
		t.Errorf("missing ssh: %v\nwant %s", err, want)
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
	sock := filepath.Join(t.TempDir(), "no-agent.sock")
	r.opts.SSH = []sshprovider.AgentConfig{{ID: "default", Paths: []string{sock}}}
	want := "--ssh: failed to convert agent config {default [" + sock + `] false}: failed to convert agent config for ID: "default": stat ` +
		sock + ": no such file or directory"
	if _, err := r.attachables(); err == nil || err.Error() != want {
		t.Errorf("a missing agent socket:\n got %v\nwant %s", err, want)
	}
}
