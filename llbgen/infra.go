package llbgen

import (
	"strconv"
	"strings"
)

// InfraExit is the exit code of a gate's test step when the test failed
// and its output shows an infrastructure failure (TLS verification, a
// proxy that refused, a name that did not resolve). The step then fails, so
// BuildKit caches no verdict, and the next build runs the test again.
const InfraExit = 86

// InfraLinePrefix starts the line the test step prints, last, for such a
// failure: the prefix, then the output line that showed it.
const InfraLinePrefix = "stagebuild: infrastructure failure, not a verdict: "

// TLSFailurePatterns are what TLS verification failures look like in the
// output of OpenSSL-based tools (pip, requests, curl, git), rustls (uv),
// Node and Go, compared case-insensitively.
func TLSFailurePatterns() []string {
	return []string{
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
}

// infraPatterns are TLSFailurePatterns and what a refusing proxy or a
// failed name lookup look like in the same tools' output.
func infraPatterns() []string {
	return append(TLSFailurePatterns(),
		// proxies (pip/requests/urllib3, curl, git, Go, npm)
		"proxyerror",
		"unable to connect to proxy",
		"cannot connect to proxy",
		"tunnel connection failed",
		"proxy connect aborted",
		"407 proxy authentication required",
		"proxyconnect tcp",
		// name resolution (glibc, musl/busybox, curl, Go, Node, Python)
		"temporary failure in name resolution",
		"name or service not known",
		"could not resolve host",
		"could not resolve proxy",
		"bad address",
		"no such host",
		"getaddrinfo enotfound",
		"getaddrinfo eai_again",
		"nodename nor servname provided",
	)
}

// infraCheck ends the test wrapper: when the test failed and its output
// shows an infrastructure failure, it prints InfraLinePrefix and the line,
// and fails the step with InfraExit. Without grep in the image it checks
// nothing.
func infraCheck() string {
	var args []string
	for _, p := range infraPatterns() {
		args = append(args, "-e '"+p+"'")
	}
	return `if [ "$(cat "$r/exit")" != 0 ] && command -v grep >/dev/null 2>&1 &&
  l=$(grep -i -F ` + strings.Join(args, " ") + ` "$r/log"); then
  printf '%s\n' "$l" | { read -r first; echo "` + InfraLinePrefix + `$first"; }
  exit ` + strconv.Itoa(InfraExit) + `
fi`
}
