package buildflags

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
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
	return ParseCACerts(path, data)
}

// ParseCACerts is ReadCACerts of data, read from path.
func ParseCACerts(path string, data []byte) ([]byte, error) {
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
