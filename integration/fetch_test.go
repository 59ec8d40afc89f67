package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stagebuild/stagebuild/testenv"
)

// A url: copy is fetched by the daemon from a server on loopback, checked
// against its checksum and written with its mode; the same pipeline with a
// wrong checksum fails the build with one line naming the URL and both
// digests, and writes no output.
func TestFetchChecksum(t *testing.T) {
	t.Parallel()
	body := "fetched " + randomID() + "\n" // a new checksum: no cached fetch
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	sum := sha256.Sum256([]byte(body))
	good := "sha256:" + hex.EncodeToString(sum[:])
	bad := "sha256:" + strings.Repeat("0", 64)
	url := srv.URL + "/files/tool.txt"

	pipelineWith := func(checksum string) string {
		return fmt.Sprintf(`version: 1
stages:
  app:
    from: busybox:latest
    copy:
      - {url: %q, checksum: %s, to: /opt/, chmod: 640}
    run: cp /opt/tool.txt /opt/seen.txt
`, url, checksum)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), pipelineWith(good))
	stagebuild(t, dir, "build", "--target", "app", "--progress", "plain", "-o", "type=local,dest=out").mustSucceed(t)
	for _, f := range []string{"tool.txt", "seen.txt"} {
		got, err := os.ReadFile(filepath.Join(dir, "out", "opt", f))
		if err != nil || string(got) != body {
			t.Errorf("/opt/%s = %q (%v), want %q", f, got, err, body)
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "out", "opt", "tool.txt")); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("/opt/tool.txt mode = %v (%v), want 0640", info.Mode(), err)
	}
	if hits.Load() == 0 {
		t.Errorf("the server was never asked for %s", url)
	}

	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), pipelineWith(bad))
	r := stagebuild(t, dir, "build", "--target", "app", "--progress", "quiet", "-o", "type=local,dest=bad-out")
	line := oneErrorLine(t, r, 1, `stagebuild.yaml:6:9: stage "app" fetched `+url+", whose digest is "+good+", not its checksum "+bad)
	t.Logf("error line: %s", line)
	if _, err := os.Stat(filepath.Join(dir, "bad-out")); !os.IsNotExist(err) {
		t.Errorf("a build whose fetch failed its checksum wrote bad-out (%v)", err)
	}

	// Ejected, a plain fetch is ADD --checksum and per-platform variants
	// are picked by TARGETARCH: the Dockerfile builds the same image.
	armURL := srv.URL + "/arm/tool.txt"
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), fmt.Sprintf(`version: 1
stages:
  app:
    from: busybox:latest
    copy:
      - {url: %q, checksum: %s, to: /opt/, chmod: 640}
      - {url: %q, checksum: %s, to: /opt/variant/tool.txt, platform: linux/amd64}
      - {url: %q, checksum: %s, to: /opt/variant/tool.txt, platform: linux/arm64}
`, url, good, url, good, armURL, bad))
	_, sb, df := buildBothWays(t, dir, "app")
	for _, f := range []string{"/opt/tool.txt", "/opt/variant/tool.txt"} {
		if !sb.Files[f] || !df.Files[f] {
			t.Errorf("%s: in the stagebuild image %t, in the Dockerfile's %t", f, sb.Files[f], df.Files[f])
		}
	}
}

// Per-platform url: copies in a multi-platform build: each platform's image
// holds its own variant's file, fetched by the daemon from loopback.
func TestFetchPerPlatform(t *testing.T) {
	t.Parallel()
	bodies := map[string]string{"amd64": "amd64 " + randomID() + "\n", "arm64": "arm64 " + randomID() + "\n"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, bodies[strings.TrimPrefix(r.URL.Path, "/")])
	}))
	t.Cleanup(srv.Close)
	sum := func(s string) string { d := sha256.Sum256([]byte(s)); return "sha256:" + hex.EncodeToString(d[:]) }
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), fmt.Sprintf(`version: 1
stages:
  app:
    from: busybox-multiarch:latest
    copy:
      - {url: "%s/amd64", checksum: %s, platform: linux/amd64, to: /etc/variant.txt, chmod: 644}
      - {url: "%s/arm64", checksum: %s, platform: linux/arm64, to: /etc/variant.txt, chmod: 644}
`, srv.URL, sum(bodies["amd64"]), srv.URL, sum(bodies["arm64"])))
	stagebuild(t, dir, "build", "--target", "app", "--progress", "plain", "--platform", "linux/amd64,linux/arm64",
		"-o", "type=oci,dest=app.tar").mustSucceed(t)
	got, err := testenv.ReadOCIPlatformFile(filepath.Join(dir, "app.tar"), "/etc/variant.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"linux/amd64": bodies["amd64"], "linux/arm64": bodies["arm64"]}; !reflect.DeepEqual(got, want) {
		t.Errorf("/etc/variant.txt per platform = %q, want %q", got, want)
	}
}
