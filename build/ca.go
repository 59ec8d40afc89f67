package build

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// SystemCABundle is the system's trusted bundle on Debian, Ubuntu and
// Alpine; `--ca-cert host` uses it when SSL_CERT_FILE is not set.
const SystemCABundle = "/etc/ssl/certs/ca-certificates.crt"

// HostCABundle is the file `--ca-cert host` names: $SSL_CERT_FILE if set,
// else SystemCABundle.
func HostCABundle(getenv func(string) string) string {
	if f := getenv("SSL_CERT_FILE"); f != "" {
		return f
	}
	return SystemCABundle
}

// ReadCACerts reads the PEM certificates of a file, re-encoded, and fails
// when it holds none.
func ReadCACerts(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return nil, fmt.Errorf("%s: a certificate that does not parse: %w", path, err)
		}
		_ = pem.Encode(&out, &pem.Block{Type: b.Type, Bytes: b.Bytes})
	}
	if out.Len() == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate in it (want -----BEGIN CERTIFICATE----- blocks)", path)
	}
	return out.Bytes(), nil
}

// JoinCABundles concatenates PEM bundles, keeping each certificate once.
func JoinCABundles(bundles ...[]byte) []byte {
	var out bytes.Buffer
	seen := map[string]bool{}
	for _, data := range bundles {
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			if !seen[string(b.Bytes)] {
				seen[string(b.Bytes)] = true
				_ = pem.Encode(&out, b)
			}
		}
	}
	return out.Bytes()
}

// TLSHint is the line a build error gets when the failing step's output
// shows a TLS verification failure and no CA bundle was given.
const TLSHint = "TLS verification failed inside the build; behind a TLS-inspecting proxy, pass --ca-cert host"

// TLSHintWithCA is that line when a CA bundle was given and did not help.
const TLSHintWithCA = "TLS verification failed inside the build despite the CA bundle given (--ca-cert, ca_certs); make sure it holds the proxy's CA"

// tlsFailures are what TLS verification failures look like in the output
// of OpenSSL-based tools (pip, requests, curl, git), rustls (uv), Node and
// Go, compared case-insensitively.
var tlsFailures = []string{
	"certificate_verify_failed",
	"certificate verify failed",
	"unable to get local issuer certificate",
	"self-signed certificate in certificate chain",
	"self signed certificate in certificate chain",
	"invalid peer certificate",
	"server certificate verification failed",
	"self_signed_cert_in_chain",
	"unable_to_get_issuer_cert_locally",
	"x509: certificate signed by unknown authority",
}

// TLSHintError is a build error whose failing step's output shows a TLS
// verification failure. Error ends with the hint on a line of its own.
type TLSHintError struct {
	Err  error
	Hint string
}

func (e *TLSHintError) Error() string { return e.Err.Error() + "\n" + e.Hint }
func (e *TLSHintError) Unwrap() error { return e.Err }

// withTLSHint adds the hint to err when the step it names (or a failed
// gate) printed a TLS verification failure. It must run after every
// progress channel is drained, so that the step's last lines are recorded.
func (r *runner) withTLSHint(err error) error {
	if err == nil || errors.As(err, new(*TLSHintError)) {
		return err
	}
	var lines []string
	var ve *errdefs.VertexError
	if errors.As(err, &ve) && ve.Vertex != nil {
		lines = r.logs.tail(digest.Digest(ve.Digest))
	}
	var ge *GateError
	if errors.As(err, &ge) {
		for _, g := range ge.Gates {
			lines = append(lines, g.Log...)
		}
	}
	if !tlsFailure(lines) {
		return err
	}
	hint := TLSHint
	if r.opts.Host.hasCA() {
		hint = TLSHintWithCA
	}
	return &TLSHintError{Err: err, Hint: hint}
}

func tlsFailure(lines []string) bool {
	for _, l := range lines {
		l = strings.ToLower(l)
		for _, f := range tlsFailures {
			if strings.Contains(l, f) {
				return true
			}
		}
	}
	return false
}
