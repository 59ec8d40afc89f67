package frontend

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stagebuild/stagebuild/pipeline"
)

func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sb test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func caPipeline(t *testing.T, entries string) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Parse("stagebuild.yaml", []byte("version: 1\nca_certs: ["+entries+"]\nstages:\n  app: {from: busybox:latest}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ca_certs files come from the build context (and are in the planner's
// first transfer); the host's bundle and absolute paths, the client's
// files, are left out with a warning; a missing file is an error at its
// entry.
func TestContextCAs(t *testing.T) {
	ca := testCA(t)
	p := caPipeline(t, "host, ./certs/ca.pem, /etc/ssl/mine.pem")
	if got, want := caPaths(p), []string{"certs/ca.pem"}; !reflect.DeepEqual(got, want) {
		t.Errorf("caPaths = %q, want %q", got, want)
	}
	if !strings.Contains(strings.Join(plannerPatterns(p), " "), "certs/ca.pem") {
		t.Errorf("planner patterns %q lack the CA file", plannerPatterns(p))
	}
	var warnings []string
	b, err := contextCAs(p, fstest.MapFS{"certs/ca.pem": {Data: ca}}, func(s string) { warnings = append(warnings, s) })
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(ca) {
		t.Errorf("bundle = %q, want the context's certificate", b)
	}
	want := []string{
		"ca_certs: host is the client's file, which the stagebuild frontend cannot read, so the steps do not trust it; " +
			"put the PEM file in the build context and name its relative path, or build with `stagebuild build`",
		"ca_certs: /etc/ssl/mine.pem is the client's file, which the stagebuild frontend cannot read, so the steps do not trust it; " +
			"put the PEM file in the build context and name its relative path, or build with `stagebuild build`",
	}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings = %q\nwant %q", warnings, want)
	}

	p = caPipeline(t, "certs/none.pem")
	_, err = contextCAs(p, fstest.MapFS{}, func(string) {})
	if want := "stagebuild.yaml:2:12: ca_certs: certs/none.pem: not in the build context (give the path of a PEM file in it, relative to its root)"; err == nil || err.Error() != want {
		t.Errorf("missing file: %v\nwant %s", err, want)
	}
	_, err = contextCAs(p, fstest.MapFS{"certs/none.pem": {Data: []byte("not pem")}}, func(string) {})
	if want := "stagebuild.yaml:2:12: ca_certs: certs/none.pem: no PEM certificate in it (want -----BEGIN CERTIFICATE----- blocks)"; err == nil || err.Error() != want {
		t.Errorf("not PEM: %v\nwant %s", err, want)
	}
}
