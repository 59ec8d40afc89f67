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
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/pipeline"
)

func writeCA(t *testing.T, path, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func pipelineWithCAs(t *testing.T, dir string, cas string) *pipeline.Pipeline {
	t.Helper()
	file := filepath.Join(dir, "stagebuild.yaml")
	text := "version: 1\nca_certs: " + cas + "\nstages:\n  app: {from: busybox:latest}\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The bundle joins the pipeline's ca_certs (relative to the pipeline file)
// and --ca-cert, host included, each certificate once.
func TestHostConfigCABundle(t *testing.T) {
	dir := t.TempDir()
	a := writeCA(t, filepath.Join(dir, "certs", "a.pem"), "a")
	b := writeCA(t, filepath.Join(dir, "b.pem"), "b")
	c := writeCA(t, filepath.Join(dir, "host.pem"), "host")
	env := map[string]string{"SSL_CERT_FILE": filepath.Join(dir, "host.pem")}
	getenv := func(k string) string { return env[k] }
	p := pipelineWithCAs(t, dir, "[certs/a.pem, host]")
	h, err := Host(HostFlags{CACerts: []string{filepath.Join(dir, "b.pem"), "host"}}, p, nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Join([][]byte{a, c, b}, nil); !bytes.Equal(h.CABundle, want) {
		t.Errorf("bundle =\n%s\nwant\n%s", h.CABundle, want)
	}
	none, err := Host(HostFlags{}, pipelineWithCAs(t, t.TempDir(), "[]"), nil, getenv)
	if err != nil || len(none.CABundle) != 0 {
		t.Errorf("no CAs: %q, %v", none.CABundle, err)
	}

	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		p     *pipeline.Pipeline
		flag  string
		env   map[string]string
		want  string
		usage bool // a *UsageError, else a *pipeline.Error
	}{
		{pipelineWithCAs(t, t.TempDir(), "[corp.pem]"), "", env, "stagebuild.yaml:2:12: ca_certs: …/corp.pem: no such file (give the path of a PEM file, or host)", false},
		{p, missing, env, "--ca-cert " + missing + ": " + missing + ": no such file (give the path of a PEM file, or host)", true},
		{p, "host", map[string]string{"SSL_CERT_FILE": missing}, "stagebuild.yaml:2:25: ca_certs: the host's bundle ($SSL_CERT_FILE) …/missing.pem does not exist (set SSL_CERT_FILE to the host's CA bundle)", false},
	} {
		var f HostFlags
		if tc.flag != "" {
			f.CACerts = []string{tc.flag}
		}
		_, err := Host(f, tc.p, nil, func(k string) string { return tc.env[k] })
		got := ""
		if err != nil {
			got = err.Error()
			if pe, ok := err.(*pipeline.Error); ok {
				got = pe.Pos.String()[len(pe.Pos.File)-len("stagebuild.yaml"):] + ": " + shortPaths(pe.Msg, filepath.Dir(tc.p.File))
			}
		}
		if got != tc.want || errors.As(err, new(*UsageError)) != tc.usage {
			t.Errorf("got  %s (%T)\nwant %s", got, err, tc.want)
		}
	}
}

func shortPaths(msg, dir string) string {
	return string(bytes.ReplaceAll([]byte(msg), []byte(dir), []byte("…")))
}

// Proxies and SOURCE_DATE_EPOCH: a --build-arg wins over the environment,
// upper case over lower case.
func TestHostConfigProxyAndEpoch(t *testing.T) {
	env := map[string]string{"HTTPS_PROXY": "http://env:1", "http_proxy": "http://env-lower:2",
		"no_proxy": "localhost", "SOURCE_DATE_EPOCH": "1600000000"}
	args := map[string]string{"HTTPS_PROXY": "http://arg:3", "all_proxy": "socks5://arg:4", "SOURCE_DATE_EPOCH": "1700000000"}
	h, err := Host(HostFlags{}, pipelineWithCAs(t, t.TempDir(), "[]"), args, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := llb.ProxyEnv{HTTPProxy: "http://env-lower:2", HTTPSProxy: "http://arg:3", NoProxy: "localhost", AllProxy: "socks5://arg:4"}
	if h.Proxy != want {
		t.Errorf("proxy = %+v, want %+v", h.Proxy, want)
	}
	if h.SourceDateEpoch == nil || h.SourceDateEpoch.Unix() != 1700000000 {
		t.Errorf("epoch = %v", h.SourceDateEpoch)
	}
	h, err = Host(HostFlags{}, pipelineWithCAs(t, t.TempDir(), "[]"), nil, func(k string) string { return env[k] })
	if err != nil || h.SourceDateEpoch == nil || h.SourceDateEpoch.Unix() != 1600000000 || h.Proxy.HTTPSProxy != "http://env:1" {
		t.Errorf("from the env: %+v, %v", h, err)
	}
	_, err = Host(HostFlags{}, pipelineWithCAs(t, t.TempDir(), "[]"), map[string]string{"SOURCE_DATE_EPOCH": "now"}, func(string) string { return "" })
	if want := `SOURCE_DATE_EPOCH "now": not a Unix time (whole seconds since 1970, e.g. $(git log -1 --format=%ct))`; err == nil || err.Error() != want || !errors.As(err, new(*UsageError)) {
		t.Errorf("bad epoch: %v (%T)", err, err)
	}
}
