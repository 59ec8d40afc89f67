package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// pki writes PEM files into dir: a CA that signs a server certificate for
// 127.0.0.1 and a client certificate, plus an unrelated CA.
type pki struct{ ca, serverCert, serverKey, clientCert, clientKey, otherCA string }

func newPKI(t *testing.T, dir string) pki {
	t.Helper()
	p := pki{ca: filepath.Join(dir, "ca.pem"), serverCert: filepath.Join(dir, "server.pem"),
		serverKey: filepath.Join(dir, "server-key.pem"), clientCert: filepath.Join(dir, "client.pem"),
		clientKey: filepath.Join(dir, "client-key.pem"), otherCA: filepath.Join(dir, "other-ca.pem")}
	caTmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "stagebuild-it CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	ca, caKey := issue(t, caTmpl, nil, nil, p.ca, "")
	issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "buildkitd"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature},
		ca, caKey, p.serverCert, p.serverKey)
	issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "stagebuild-it client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature},
		ca, caKey, p.clientCert, p.clientKey)
	issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "some other CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, nil, p.otherCA, "")
	return p
}

// issue signs tmpl with parent (self-signed when nil) and writes the
// certificate, and the key when keyFile is set.
func issue(t *testing.T, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, certFile, keyFile string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl.SerialNumber = serial
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	if keyFile != "" {
		b, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b})))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// startTLSDaemon starts a buildkitd of its own on 127.0.0.1 that requires
// client certificates, and stops it when the test ends.
func startTLSDaemon(t *testing.T, p pki) string {
	t.Helper()
	addr := "tcp://127.0.0.1:" + strconv.Itoa(freePort(t))
	root := t.TempDir()
	logf, err := os.Create(filepath.Join(root, "buildkitd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(env.BuildkitdBin, "--oci-worker=true", "--containerd-worker=false",
		"--root", filepath.Join(root, "state"), "--addr", addr, "--config", env.BuildkitdConfig,
		"--tlscacert", p.ca, "--tlscert", p.serverCert, "--tlskey", p.serverKey)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		select {
		case <-exited:
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("buildkitd exited:\n%s", tail(string(log), 20))
		default:
		}
		c, err := client.New(t.Context(), addr, client.WithServerConfig("", p.ca), client.WithCredentials(p.clientCert, p.clientKey))
		if err == nil {
			_, err = c.ListWorkers(t.Context())
			c.Close()
		}
		if err == nil {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("buildkitd on %s: not ready after 60s: %v", addr, err)
		}
	}
}

// A buildkitd with TLS accepts a client with the right certificates, and
// refuses one without them or with a wrong CA, on one line, quickly.
func TestDaemonTLSClientCerts(t *testing.T) {
	t.Parallel()
	p := newPKI(t, t.TempDir())
	addr := startTLSDaemon(t, p)
	dir := copyTestdata(t, "checks")
	build := []string{"build", "--progress", "plain", "-o", "type=oci,dest=out.tar", "--addr", addr}

	stagebuild(t, dir, append(build, "--tlscacert", p.ca, "--tlscert", p.clientCert, "--tlskey", p.clientKey)...).mustSucceed(t)
	if _, err := os.Stat(filepath.Join(dir, "out.tar")); err != nil {
		t.Fatalf("the build over TLS wrote nothing: %v", err)
	}

	for _, tc := range []struct {
		name, why string
		flags     []string
	}{
		// With TLS 1.3 the server refuses a missing client certificate after
		// the client's handshake is done, so the client sees either the
		// alert ("certificate required") or a broken pipe.
		{"no client certificate", "", []string{"--tlscacert", p.ca}},
		{"wrong CA", "certificate signed by unknown authority",
			[]string{"--tlscacert", p.otherCA, "--tlscert", p.clientCert, "--tlskey", p.clientKey}},
		{"no TLS at all", "", nil},
	} {
		start := time.Now()
		r := stagebuild(t, dir, append(build, tc.flags...)...)
		line := oneErrorLine(t, r, 1, "cannot reach buildkitd at "+addr, tc.why, "is it running?")
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: took %s", tc.name, d)
		}
		t.Logf("%s: %s", tc.name, line)
	}
}

// Bad TLS flags are usage errors (exit 2) that name the flag; they are
// found before any daemon is dialled.
func TestDaemonTLSFlagErrors(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "checks")
	p := newPKI(t, t.TempDir())
	build := []string{"build", "--progress", "plain", "-o", "type=oci,dest=out.tar"}
	addr := "tcp://127.0.0.1:" + strconv.Itoa(freePort(t))
	oneErrorLine(t, stagebuild(t, dir, append(build, "--addr", addr, "--tlscacert", "/nonexistent/ca.pem")...),
		2, "--tlscacert", "/nonexistent/ca.pem")
	oneErrorLine(t, stagebuild(t, dir, append(build, "--tlscacert", p.ca)...), 2, "--tlscacert", "--addr")
	oneErrorLine(t, stagebuild(t, dir, append(build, "--addr", addr, "--tlscert", p.clientCert)...), 2, "--tlscert", "--tlskey")
}

// A daemon address where nothing listens fails on one line with the
// address and a hint, in bounded time.
func TestUnreachableDaemon(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "checks")
	addr := "tcp://127.0.0.1:" + strconv.Itoa(freePort(t))
	start := time.Now()
	r := stagebuild(t, dir, "build", "--progress", "plain", "-o", "type=oci,dest=out.tar", "--addr", addr)
	oneErrorLine(t, r, 1, "cannot reach buildkitd at "+addr, "is it running?", "--addr")
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s, want < 30s", d)
	}
	r = stagebuildEnv(t, dir, []string{"BUILDKIT_HOST=" + addr}, "build", "--progress", "plain", "-o", "type=oci,dest=out.tar")
	oneErrorLine(t, r, 1, "cannot reach buildkitd at "+addr)
}
