package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/buildkit/session/sshforward/sshprovider"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/daemon"
)

func TestBuildxFlags(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secret, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
	got, err := runBuildCmd(t, "--secret", "id=token,src="+secret, "--secret", "id=pass,env=DB_PASS",
		"--ssh", "default", "--ssh", "github=/k/id_ed25519", "--no-cache", "--no-cache-filter", "deps",
		"--no-cache-filter", "tests", "--pull", "--load", "--metadata-file", "meta.json",
		"--label", "org.example.team=build", "--label", "empty=", "--label", "x=a=b", "--annotation", "org.opencontainers.image.url=https://example.com",
		"--tlscacert", "ca.pem", "--tlscert", "c.pem", "--tlskey", "k.pem", "--tlsservername", "bk.internal")
	if err != nil {
		t.Fatal(err)
	}
	want := BuildxOptions{
		TLS:           daemon.TLS{CACert: "ca.pem", Cert: "c.pem", Key: "k.pem", ServerName: "bk.internal"},
		Secrets:       []buildflags.Secret{{ID: "token", File: secret}, {ID: "pass", Env: "DB_PASS"}},
		SSH:           []sshprovider.AgentConfig{{ID: "default"}, {ID: "github", Paths: []string{"/k/id_ed25519"}}},
		Pull:          true,
		NoCache:       true,
		NoCacheFilter: []string{"deps", "tests"},
		MetadataFile:  "meta.json",
		Labels:        map[string]string{"org.example.team": "build", "empty": "", "x": "a=b"},
		Annotations:   map[string]string{"org.opencontainers.image.url": "https://example.com"},
		Load:          true,
	}
	if !reflect.DeepEqual(got.Buildx, want) {
		t.Errorf("buildx options =\n%+v\nwant\n%+v", got.Buildx, want)
	}

	got, err = runBuildCmd(t)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Buildx, BuildxOptions{}) {
		t.Errorf("no buildx flags: %+v", got.Buildx)
	}
}

func TestBuildxFlagErrors(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--secret", "token"}, `--secret "token": "token" is not key=value`},
		{[]string{"--secret", "src=x"}, `--secret "src=x": missing id=`},
		{[]string{"--secret", "id=a,src=/nonexistent/tok"}, `--secret "id=a,src=/nonexistent/tok": /nonexistent/tok: no such file`},
		{[]string{"--secret", "id=a,kind=file"}, `unknown key "kind"`},
		{[]string{"--ssh", "default"}, "--ssh default: SSH_AUTH_SOCK is not set"},
		{[]string{"--ssh", "=/k"}, `--ssh "=/k": write default, default=PATH or ID=PATH`},
		{[]string{"--label", "team"}, `--label "team": write KEY=VALUE`},
		{[]string{"--label", "=build"}, `--label "=build": write KEY=VALUE`},
		{[]string{"--annotation", "k"}, `--annotation "k": write KEY=VALUE`},
	}
	for _, tc := range tests {
		got, err := runBuildCmd(t, tc.args...)
		if err == nil {
			t.Errorf("%q: no error; options %+v", tc.args, got.Buildx)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q:\ngot:  %s\nwant: %s", tc.args, err, tc.want)
		}
		if code := ExitCode(err); code != ExitUsage {
			t.Errorf("%q: exit code %d, want %d", tc.args, code, ExitUsage)
		}
	}
}

func TestHostFlags(t *testing.T) {
	o, err := runBuildCmd(t, "--ca-cert", "host", "--ca-cert", "certs/corp.pem", "--provenance", "mode=max")
	if err != nil {
		t.Fatal(err)
	}
	if want := (buildflags.HostFlags{CACerts: []string{"host", "certs/corp.pem"}, Provenance: "mode=max"}); !reflect.DeepEqual(o.Host, want) {
		t.Errorf("Host = %+v, want %+v", o.Host, want)
	}
	if o, _ := runBuildCmd(t, "--provenance", "true"); o.Host.Provenance != "mode=min" {
		t.Errorf("--provenance true = %q", o.Host.Provenance)
	}
	_, err = runBuildCmd(t, "--provenance", "full")
	if want := `--provenance "full": write true, false, mode=min or mode=max`; err == nil || err.Error() != want || ExitCode(err) != ExitUsage {
		t.Errorf("bad --provenance: %v (exit %d)", err, ExitCode(err))
	}
}

// A secret or SSH agent the pipeline needs but the command line lacks, and
// TLS flags without a remote daemon, are usage errors found before any
// daemon is reached.
func TestMissingMountsAreUsageErrors(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	t.Setenv("STAGEBUILD_BUILDKITD", "/nonexistent/buildkitd") // a daemon start would fail with exit 1
	dir := t.TempDir()
	pipelineFile := filepath.Join(dir, "stagebuild.yaml")
	if err := os.WriteFile(pipelineFile, []byte(`version: 1
default: image
stages:
  image:
    from: busybox:latest
    secrets: [token]
    ssh: true
    run: cat /run/secrets/token
`), 0o644); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(dir, "tok")
	if err := os.WriteFile(tok, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{nil, []string{`stagebuild: stage image needs secret "token" (`, `stagebuild.yaml:8:10)`,
			"pass --secret id=token,src=FILE or --secret id=token,env=VAR"}},
		{[]string{"--secret", "id=token,src=" + tok}, []string{`stagebuild: stage image needs ssh "default"`, "--ssh default"}},
		{[]string{"--secret", "id=token,src=" + tok, "--ssh", "default=/k/key", "--tlscacert", "ca.pem"},
			[]string{"stagebuild: --tlscacert/--tlscert/--tlskey/--tlsservername need a remote daemon: add --addr tcp://HOST:PORT"}},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := Main(append([]string{"build", dir}, tc.args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		if code != ExitUsage || len(lines) != 1 {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit 2 and one line", tc.args, code, errb.String())
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(lines[0], w) {
				t.Errorf("%q: %s\nlacks %s", tc.args, lines[0], w)
			}
		}
	}
}
