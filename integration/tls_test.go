package integration

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/llbgen"
)

// The steps of this pipeline reach PyPI through this machine's
// TLS-inspecting egress, from the python image that does not trust its CA
// (as an official image would not): pip, uv, a test gate and a command
// check, each over HTTPS.
const tlsPipeline = `version: 1
stages:
  deps:
    from: python:3.11-slim-bookworm-noca
    workdir: /app
    env: {PIP_DISABLE_PIP_VERSION_CHECK: "1", PYTHONDONTWRITEBYTECODE: "1"}
    copy: [requirements.txt]
    run: pip install --no-cache-dir -r requirements.txt
  service:
    from: deps
    run:
      - pip install --no-cache-dir uv
      - uv pip install --system --no-cache iniconfig
    cmd: [python, -c, "import six, iniconfig"]
    gated_by: [https]
    checks:
      commands:
        - name: HTTPS works in a check
          run: [python, -c, "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/six/').read()"]
  https:
    from: deps
    test: python -c "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/six/').read()"
`

// tlsProject writes the pipeline with a requirements file of its own, so
// its installs run in this test.
func tlsProject(t *testing.T) (dir, marker string) {
	t.Helper()
	dir, marker = t.TempDir(), "tls-marker-"+randomID()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), tlsPipeline)
	writeFile(t, filepath.Join(dir, "requirements.txt"), "six==1.16.0\n# "+marker+"\n")
	return dir, marker
}

// Without the host's CAs, pip cannot verify PyPI: the build fails, and the
// error says what to do.
func TestTLSFailureGetsHint(t *testing.T) {
	t.Parallel()
	dir, _ := tlsProject(t)
	r := stagebuild(t, dir, "build", "--progress", "plain", "-o", "type=oci,dest=svc.tar")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, tail(r.stderr, 30))
	}
	if !strings.Contains(r.stderr, "CERTIFICATE_VERIFY_FAILED") {
		t.Fatalf("pip did not fail on TLS verification:\n%s", tail(r.stderr, 30))
	}
	// The error is one line, and the hint the line after it.
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if n := len(lines); n < 2 || !strings.HasPrefix(lines[n-2], "stagebuild: ") || lines[n-1] != build.TLSHint {
		t.Errorf("the last two lines are not the error and the hint:\n%s", tail(r.stderr, 2))
	}
	if _, err := os.Stat(filepath.Join(dir, "svc.tar")); err == nil {
		t.Error("a failed build wrote its output")
	}
}

// With --ca-cert host, pip, uv, a gate and a command check all verify PyPI,
// and neither the bundle nor the variables pointing at it are in the image.
func TestTLSCACertHost(t *testing.T) {
	t.Parallel()
	dir, marker := tlsProject(t)
	stagebuild(t, dir, "build", "--ca-cert", "host", "--progress", "plain", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	img := readOCIImage(t, filepath.Join(dir, "svc.tar"))
	// The scan must see what is there: the copied requirements.
	if !img.layersContain([]byte(marker)) {
		t.Fatal("the layer scan does not find the copied requirements file; it cannot prove anything")
	}
	assertNoCA(t, img)

	// Another bundle (one more CA): nothing runs again. With provenance the
	// image is the same, attested beside it.
	writeFile(t, filepath.Join(dir, "extra.pem"), string(throwawayCA(t)))
	r := stagebuild(t, dir, "build", "--ca-cert", "host", "--ca-cert", "extra.pem", "--provenance", "mode=min",
		"--progress", "rawjson", "-o", "type=oci,dest=svc2.tar").mustSucceed(t)
	vs := parseRawJSON(t, r.stderr)
	for _, name := range []string{"[deps 2/2] RUN pip install", "[service 1/2] RUN pip install --no-cache-dir uv", "[https 1/1] TEST"} {
		if v := find(t, vs, name); !v.Cached {
			t.Errorf("%s ran again with another CA bundle", v.Name)
		}
	}
	img2 := readOCIImage(t, filepath.Join(dir, "svc2.tar"))
	if img2.manifest.Digest != img.manifest.Digest {
		t.Errorf("another bundle gave another image: %s, then %s", img.manifest.Digest, img2.manifest.Digest)
	}
	if len(img.predicates) != 0 || len(img2.predicates) != 1 || img2.predicates[0] != "https://slsa.dev/provenance/v1" {
		t.Errorf("attestations: %q without --provenance, %q with it", img.predicates, img2.predicates)
	}
}

// throwawayCA is a new self-signed CA certificate, PEM-encoded.
func throwawayCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "throwaway " + randomID()},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// A Poetry project installed from its lock (install: auto, through pip)
// on the image without the host's CAs.
func TestTLSPoetryLock(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "poetry")
	file := filepath.Join(dir, "stagebuild.yaml")
	text, _ := os.ReadFile(file)
	noca := strings.ReplaceAll(string(text), "from: python:3.11-slim-bookworm\n", "from: "+env.PythonNoCAImage+"\n")
	if noca == string(text) {
		t.Fatal("the poetry pipeline names no python:3.11-slim-bookworm base")
	}
	// An env of its own makes this test's installs run.
	noca = strings.Replace(noca, "    env:\n", "    env:\n      TEST_RUN: "+randomID()+"\n", 1)
	writeFile(t, file, noca)
	r := stagebuild(t, dir, "build", "--ca-cert", "host", "--progress", "rawjson", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	vs := parseRawJSON(t, r.stderr)
	for _, name := range []string{"[deps 2/2] RUN pip install --no-deps", "[test_deps 2/2] RUN pip install --no-deps"} {
		if v := find(t, vs, name); v.Cached {
			t.Errorf("%s was cached: the lock install did not run", v.Name)
		}
	}
	assertNoCA(t, readOCIImage(t, filepath.Join(dir, "svc.tar")))
}

// assertNoCA fails when a layer holds the PEM body of one of the host's
// extra CAs or anything under the CA mount, or when the config or history
// names the CA variables or the mount.
func assertNoCA(t *testing.T, img ociImage) {
	t.Helper()
	needles := hostCANeedles(t)
	needles = append(needles, []byte(strings.TrimPrefix(path.Dir(llbgen.CAPath), "/")))
	for i, layer := range img.layers {
		for _, n := range needles {
			if bytes.Contains(layer, n) {
				t.Errorf("layer %d contains %.40q", i, n)
			}
		}
	}
	for _, k := range append([]string{"run/stagebuild"}, llbgen.CAEnv()...) {
		if bytes.Contains(img.config, []byte(k)) {
			t.Errorf("the image config names %s:\n%s", k, img.config)
		}
	}
}

// hostCANeedles are the host's extra CAs as they would appear in a file:
// DER, and the lines of their PEM body past the first (which can be shared
// by certificates of the same shape).
func hostCANeedles(t *testing.T) [][]byte {
	t.Helper()
	files, _ := filepath.Glob("/usr/local/share/ca-certificates/*.crt")
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			out = append(out, b.Bytes)
			body := base64.StdEncoding.EncodeToString(b.Bytes)
			for i := 64; i+64 <= len(body); i += 64 {
				out = append(out, []byte(body[i:i+64]))
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no extra CA in /usr/local/share/ca-certificates: nothing to look for")
	}
	return out
}
