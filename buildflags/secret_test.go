package buildflags

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/buildkit/session/sshforward/sshprovider"
)

func TestParseSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // "id=token" alone falls back to the file ./token
	t.Setenv("SB_UNIT_ENV", "x")
	ok := []struct {
		spec string
		want Secret
	}{
		{"id=a,src=" + file, Secret{ID: "a", File: file}},
		{"id=a,source=" + file, Secret{ID: "a", File: file}},
		{"type=file,id=a,src=" + file, Secret{ID: "a", File: file}},
		{"id=a,env=SB_UNIT_ENV", Secret{ID: "a", Env: "SB_UNIT_ENV"}},
		{"id=SB_UNIT_ENV", Secret{ID: "SB_UNIT_ENV", Env: "SB_UNIT_ENV"}},
		{"id=SB_UNIT_NOT_SET,type=env", Secret{ID: "SB_UNIT_NOT_SET", Env: "SB_UNIT_NOT_SET"}},
		{"id=token", Secret{ID: "token", File: "token"}},
		{"ID=a, src=" + file, Secret{ID: "a", File: file}},
	}
	for _, tc := range ok {
		got, err := ParseSecret(tc.spec)
		if err != nil || got != tc.want {
			t.Errorf("ParseSecret(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
	bad := []struct{ spec, want string }{
		{"token", `"token" is not key=value`},
		{"src=" + file, "missing id="},
		{"id=a,src=" + filepath.Join(dir, "nope"), "no such file"},
		{"id=a,color=red", `unknown key "color"`},
		{"id=a,type=bytes,src=" + file, "type=bytes"},
		{"id=missing", "missing: no such file"},
		{"", "is not key=value"},
	}
	for _, tc := range bad {
		_, err := ParseSecret(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--secret ") {
			t.Errorf("ParseSecret(%q) = %v, want an error with %q", tc.spec, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseSecret(%q): error on several lines", tc.spec)
		}
	}
}

func TestParseSSH(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
	ok := []struct {
		spec string
		want sshprovider.AgentConfig
	}{
		{"default", sshprovider.AgentConfig{ID: "default"}},
		{"default=/run/a.sock", sshprovider.AgentConfig{ID: "default", Paths: []string{"/run/a.sock"}}},
		{"github=/k/id_ed25519,/k/id_rsa", sshprovider.AgentConfig{ID: "github", Paths: []string{"/k/id_ed25519", "/k/id_rsa"}}},
	}
	for _, tc := range ok {
		got, err := ParseSSH(tc.spec)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSSH(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
	for _, spec := range []string{"", "=/run/a.sock"} {
		if _, err := ParseSSH(spec); err == nil || !strings.Contains(err.Error(), "--ssh") {
			t.Errorf("ParseSSH(%q) = %v, want an --ssh error", spec, err)
		}
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	if _, err := ParseSSH("default"); err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK is not set") {
		t.Errorf("ParseSSH(default) without an agent = %v", err)
	}
	if _, err := ParseSSH("default=/k/key"); err != nil {
		t.Errorf("ParseSSH with a key path needs no agent: %v", err)
	}
}
