package build

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"
)

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
	want := `process "/bin/sh -c pip install six" did not complete successfully: exit code: 1` + "\n" + TLSHintWithCA
	if got := r3.withTLSHint(errdefs.WrapVertex(base, d3)); got.Error() != want {
		t.Errorf("with a CA:\n got %v\nwant %s", got, want)
	}
}

// A failed gate whose output shows a TLS failure keeps its type (exit 3)
// and gets the hint.
func TestTLSHintOnGate(t *testing.T) {
	r := &runner{logs: newLogRecorder()}
	ge := &GateError{Gates: []*GateResult{{Gate: "tests", Command: "pytest", ExitCode: 1,
		Log: []string{"E   urllib3.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] unable to get local issuer certificate"}}}}
	err := r.withTLSHint(ge)
	want := `gate "tests" failed: pytest exited with code 1` + "\n" + TLSHint
	if !errors.As(err, new(*GateError)) || err.Error() != want {
		t.Errorf("gate error\n got %v\nwant %s", err, want)
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
