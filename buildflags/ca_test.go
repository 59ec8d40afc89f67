package buildflags

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
