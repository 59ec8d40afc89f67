package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tarEntries reads every regular file of a tar, gunzipping the tar itself
// when it is compressed.
func tarEntries(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(gunzipped(t, data)))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			out[strings.TrimPrefix(h.Name, "./")] = b
		}
	}
}

func gunzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// A secret reaches run steps as a file and as an env var, and a gate's test
// step, and its value is in no blob of the exported image.
func TestSecretNeverInImage(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "secrets")
	token, pass := "sb-token-"+randomID()+randomID(), "sb-pass-"+randomID()+randomID()
	writeFile(t, filepath.Join(dir, "token.txt"), token)
	r := stagebuildEnv(t, dir, []string{"SB_IT_PASS=" + pass}, "build", "--progress", "plain",
		"--build-arg", "MARKER="+randomID(), "--secret", "id=token,src=token.txt", "--secret", "id=pass,env=SB_IT_PASS",
		"-o", "type=oci,dest=out.tar").mustSucceed(t)
	if !strings.Contains(r.stderr, "gate secret-check passed") {
		t.Errorf("the gate reading the secret did not pass:\n%s", tail(r.stderr, 20))
	}
	if strings.Contains(r.stderr+r.stdout, token) || strings.Contains(r.stderr+r.stdout, pass) {
		t.Errorf("the build's output shows a secret value")
	}
	data, err := os.ReadFile(filepath.Join(dir, "out.tar"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	blobs := 0
	for name, b := range tarEntries(t, data) {
		content := gunzipped(t, b)
		for _, v := range []string{token, pass} {
			if bytes.Contains(content, []byte(v)) || bytes.Contains(b, []byte(v)) {
				t.Errorf("%s of the OCI output holds a secret value", name)
			}
		}
		if strings.HasPrefix(name, "blobs/") {
			blobs++
			if bytes.HasPrefix(content, []byte("{")) {
				continue // manifest or config
			}
			for f, c := range tarEntries(t, content) {
				files[f] = string(c)
			}
		}
	}
	if blobs < 3 {
		t.Fatalf("only %d blobs in the OCI output", blobs)
	}
	if got := strings.TrimSpace(files["out/token.sha256"]); got != sha256hex(token) {
		t.Errorf("the run step saw a token with sha256 %q, want %s", got, sha256hex(token))
	}
	if got := strings.TrimSpace(files["out/pass.sha256"]); got != sha256hex(pass) {
		t.Errorf("the run step saw DB_PASS with sha256 %q, want %s", got, sha256hex(pass))
	}
}

// A missing --secret, a bad spec and a missing file each give one line.
func TestSecretErrors(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "secrets")
	writeFile(t, filepath.Join(dir, "token.txt"), "x")
	r := stagebuild(t, dir, "build", "--secret", "id=token,src=token.txt", "-o", "type=oci,dest=out.tar")
	oneErrorLine(t, r, 2, "stage image", `secret "pass"`, "--secret id=pass")
	r = stagebuild(t, dir, "build", "--secret", "token", "-o", "type=oci,dest=out.tar")
	oneErrorLine(t, r, 2, "--secret", "token")
	r = stagebuild(t, dir, "build", "--secret", "id=token,src=nonexistent.txt", "-o", "type=oci,dest=out.tar")
	oneErrorLine(t, r, 2, "--secret", "nonexistent.txt")
	if _, err := os.Stat(filepath.Join(dir, "out.tar")); err == nil {
		t.Errorf("out.tar written by a failed build")
	}
}

// A real ssh-agent's key is listed by ssh-add inside a run step with ssh:,
// built by stagebuild and through the frontend with buildctl.
func TestSSHAgentForwarded(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "ssh")
	keys := t.TempDir()
	sock := filepath.Join(keys, "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	key := filepath.Join(keys, "key")
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stagebuild-it", "-f", key)
	for i := 0; ; i++ { // the agent creates its socket after it started
		if _, err := os.Stat(sock); err == nil || i == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	run("ssh-add", key)
	fields := strings.Fields(run("ssh-keygen", "-lf", key+".pub"))
	if len(fields) < 2 || !strings.HasPrefix(fields[1], "SHA256:") {
		t.Fatalf("ssh-keygen -lf: %q", fields)
	}

	agentEnv := []string{"SSH_AUTH_SOCK=" + sock}
	r := stagebuildEnv(t, dir, agentEnv, "build", "--progress", "plain", "-o", "type=local,dest=out")
	oneErrorLine(t, r, 2, "stage keys", "ssh", "--ssh default")

	stagebuildEnv(t, dir, agentEnv, "build", "--progress", "plain", "--ssh", "default",
		"--build-arg", "MARKER="+randomID(), "-o", "type=local,dest=out").mustSucceed(t)
	listed, err := os.ReadFile(filepath.Join(dir, "out", "keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(listed), fields[1]) {
		t.Errorf("ssh-add -l in the run step listed %q, want the key %s", listed, fields[1])
	}

	// The same through the frontend: buildctl's --ssh serves the
	// pipeline's ssh: as stagebuild's does (docs/frontend.md).
	fe := buildctl(t, dir, frontendArgs("keys", "--ssh", "default="+sock, "--opt", "build-arg:MARKER="+randomID(),
		"--output", "type=tar,dest=fe.tar")...)
	if fe.code != 0 {
		t.Fatalf("frontend build with --ssh: exit %d\n%s", fe.code, tail(fe.stderr, 30))
	}
	data, err := os.ReadFile(filepath.Join(dir, "fe.tar"))
	if err != nil {
		t.Fatal(err)
	}
	listed = tarEntries(t, data)["keys.txt"]
	if !strings.Contains(string(listed), fields[1]) {
		t.Errorf("through the frontend, ssh-add -l in the run step listed %q, want the key %s", listed, fields[1])
	}
}

// --metadata-file records the exported digests and the gate verdicts, and
// is written without digests when a gate fails.
func TestMetadataFile(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	stagebuild(t, dir, "build", "--target", "service", "--progress", "plain",
		"-o", "type=oci,dest=svc.tar", "--metadata-file", "meta.json").mustSucceed(t)
	meta := readMeta(t, filepath.Join(dir, "meta.json"))
	data, err := os.ReadFile(filepath.Join(dir, "svc.tar"))
	if err != nil {
		t.Fatal(err)
	}
	entries := tarEntries(t, data)
	var index struct{ Manifests []struct{ Digest string } }
	if err := json.Unmarshal(entries["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %v %s", err, entries["index.json"])
	}
	manifest := index.Manifests[0].Digest
	if meta["containerimage.digest"] != manifest {
		t.Errorf("containerimage.digest %v, the OCI tar's manifest %s", meta["containerimage.digest"], manifest)
	}
	var m struct{ Config struct{ Digest string } }
	if err := json.Unmarshal(entries["blobs/"+strings.Replace(manifest, ":", "/", 1)], &m); err != nil {
		t.Fatal(err)
	}
	if meta["containerimage.config.digest"] != m.Config.Digest {
		t.Errorf("containerimage.config.digest %v, the manifest's config %s", meta["containerimage.config.digest"], m.Config.Digest)
	}
	if got := gateStatus(meta); got["tests"] != "passed" || got["lint"] != "passed" || len(got) != 2 {
		t.Errorf("stagebuild.gates: %v, want tests and lint passed", got)
	}

	writeFile(t, filepath.Join(dir, "tests", "test_broken.py"), failingTest)
	os.Remove(filepath.Join(dir, "meta.json"))
	r := stagebuild(t, dir, "build", "--target", "service", "--progress", "plain",
		"-o", "type=oci,dest=failed.tar", "--metadata-file", "meta.json")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, tail(r.stderr, 20))
	}
	meta = readMeta(t, filepath.Join(dir, "meta.json"))
	if got := gateStatus(meta); got["tests"] != "failed" {
		t.Errorf("stagebuild.gates after a failing test: %v", got)
	}
	if d, ok := meta["containerimage.digest"]; ok {
		t.Errorf("a blocked build has a digest: %v", d)
	}
	if meta["stagebuild.exported"] != false {
		t.Errorf("stagebuild.exported = %v", meta["stagebuild.exported"])
	}
}

func readMeta(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("metadata file: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("metadata file: %v\n%s", err, b)
	}
	return m
}

// gateStatus maps gate name to status from stagebuild.gates.
func gateStatus(meta map[string]any) map[string]string {
	out := map[string]string{}
	gates, _ := meta["stagebuild.gates"].([]any)
	for _, g := range gates {
		if m, ok := g.(map[string]any); ok {
			out[m["gate"].(string)], _ = m["status"].(string)
		}
	}
	return out
}
