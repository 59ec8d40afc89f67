package pipeline

import (
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// HostCA is the ca_certs entry (and --ca-cert value) that names the host's
// trusted bundle: $SSL_CERT_FILE, else the system bundle.
const HostCA = "host"

// caCerts parses the top-level ca_certs: list of PEM files (relative to the
// pipeline file's directory, or absolute) and the word host. The bundle they
// make is mounted into every step at build time and never into an image.
func (ps *parser) caCerts(n *yaml.Node) error {
	vals, err := ps.scalars(n, "ca_certs")
	if err != nil {
		return err
	}
	for _, v := range vals {
		if strings.TrimSpace(v.Value) == "" {
			return errorf(v.Pos, "ca_certs: an empty entry (write %s, or the path of a PEM file)", HostCA)
		}
	}
	ps.p.CACerts = append(ps.p.CACerts, vals...)
	return nil
}

// PredefinedArgs returns the build args stagebuild itself reads, as
// docker's predefined args: the proxy settings (in both cases) and
// SOURCE_DATE_EPOCH. A --build-arg of one of them is not an unused arg; a
// pipeline may still declare one under args: to use its value.
func PredefinedArgs() []string {
	return []string{
		"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
		"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "SOURCE_DATE_EPOCH",
	}
}

// IsPredefinedArg reports whether name is one of PredefinedArgs.
func IsPredefinedArg(name string) bool {
	for _, a := range PredefinedArgs() {
		if a == name {
			return true
		}
	}
	return false
}
