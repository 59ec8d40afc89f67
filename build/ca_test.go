package build

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// testCA returns a fresh self-signed CA certificate, PEM-encoded.
func testCA(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestReadCACerts(t *testing.T) {
	dir := t.TempDir()
	a, b := testCA(t, "a"), testCA(t, "b")
	mixed := filepath.Join(dir, "mixed.pem")
	// Comments and a key block around the certificates are dropped.
	text := "# corp CA\n" + string(a) + "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + string(b)
	if err := os.WriteFile(mixed, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCACerts(mixed)
	if err != nil || !bytes.Equal(got, append(append([]byte(nil), a...), b...)) {
		t.Fatalf("ReadCACerts = %q, %v", got, err)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("not a certificate\n"), 0o644)
	if _, err := ReadCACerts(empty); err == nil || err.Error() != empty+": no PEM certificate in it (want -----BEGIN CERTIFICATE----- blocks)" {
		t.Errorf("empty file: %v", err)
	}
	broken := filepath.Join(dir, "broken.pem")
	os.WriteFile(broken, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), 0o644)
	if _, err := ReadCACerts(broken); err == nil || !strings.Contains(err.Error(), "does not parse") {
		t.Errorf("broken certificate: %v", err)
	}
	if _, err := ReadCACerts(filepath.Join(dir, "missing.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if j := JoinCABundles(a, b, a, b); !bytes.Equal(j, got) {
		t.Errorf("JoinCABundles kept duplicates:\n%s", j)
	}
}

func TestHostCABundle(t *testing.T) {
	env := map[string]string{"SSL_CERT_FILE": "/corp/ca.pem"}
	if got := HostCABundle(func(k string) string { return env[k] }); got != "/corp/ca.pem" {
		t.Errorf("with SSL_CERT_FILE: %s", got)
	}
	if got := HostCABundle(func(string) string { return "" }); got != SystemCABundle {
		t.Errorf("without: %s", got)
	}
}

// runnerWithLog is a runner whose progress recorded log for one vertex.
func runnerWithLog(log string, ca bool) (*runner, digest.Digest) {
	d := digest.FromString("pip install")
	logs := newLogRecorder()
	logs.record(&client.SolveStatus{Logs: []*client.VertexLog{{Vertex: d, Data: []byte(log)}}})
	r := &runner{logs: logs}
	if ca {
		r.opts.Host.CABundle = []byte("PEM")
	}
	return r, d
}

const pipTLSLog = `WARNING: Retrying (Retry(total=4)) after connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:1006)'))': /simple/six/
ERROR: No matching distribution found for six
`

func TestTLSHint(t *testing.T) {
	base := errors.New(`process "/bin/sh -c pip install six" did not complete successfully: exit code: 1`)
	r, d := runnerWithLog(pipTLSLog, false)
	err := r.withTLSHint(fmt.Errorf("solving deps: %w", errdefs.WrapVertex(base, d)))
	var he *TLSHintError
	if !errors.As(err, &he) || !errors.Is(err, base) {
		t.Fatalf("no hint: %v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || lines[1] != TLSHint {
		t.Errorf("error lines = %q", lines)
	}
	if again := r.withTLSHint(err); again != err {
		t.Errorf("hinted twice: %v", again)
	}
	// Another vertex's failure, or a failure that is not about TLS: no hint.
	if got := r.withTLSHint(errdefs.WrapVertex(base, digest.FromString("other"))); errors.As(got, &he) {
		t.Errorf("hint for another vertex: %v", got)
	}
	r2, d2 := runnerWithLog("ERROR: No matching distribution found for six\n", false)
	if got := r2.withTLSHint(errdefs.WrapVertex(base, d2)); errors.As(got, &he) {
		t.Errorf("hint without a TLS failure: %v", got)
	}
	if r.withTLSHint(nil) != nil {
		t.Error("nil error got a hint")
	}
	// With a bundle given, the hint says to check it instead.
	r3, d3 := runnerWithLog("error: invalid peer certificate: UnknownIssuer\n", true)
	if got := r3.withTLSHint(errdefs.WrapVertex(base, d3)); !strings.HasSuffix(got.Error(), "\n"+TLSHintWithCA) {
		t.Errorf("with a CA: %v", got)
	}
}

// A failed gate whose output shows a TLS failure keeps its type (exit 3)
// and gets the hint.
func TestTLSHintOnGate(t *testing.T) {
	r := &runner{logs: newLogRecorder()}
	ge := &GateError{Gates: []*GateResult{{Gate: "tests", Command: "pytest", ExitCode: 1,
		Log: []string{"E   urllib3.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] unable to get local issuer certificate"}}}}
	err := r.withTLSHint(ge)
	if !errors.As(err, new(*GateError)) || !strings.HasSuffix(err.Error(), "\n"+TLSHint) {
		t.Errorf("gate error = %v", err)
	}
	for _, l := range []string{
		"curl: (60) SSL certificate problem: self signed certificate in certificate chain",
		"npm ERR! code SELF_SIGNED_CERT_IN_CHAIN",
		"fatal: unable to access 'https://x/': server certificate verification failed. CAfile: none",
		`Get "https://proxy.golang.org/": x509: certificate signed by unknown authority`,
	} {
		if !tlsFailure([]string{l}) {
			t.Errorf("not recognised: %s", l)
		}
	}
}
