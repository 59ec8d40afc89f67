package build

import (
	"errors"
	"strings"

	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"

	"github.com/stagebuild/stagebuild/llbgen"
)

// TLSHint is the line a build error gets when the failing step's output
// shows a TLS verification failure and no CA bundle was given.
const TLSHint = "TLS verification failed inside the build; behind a TLS-inspecting proxy, pass --ca-cert host"

// TLSHintWithCA is that line when a CA bundle was given and did not help.
const TLSHintWithCA = "TLS verification failed inside the build despite the CA bundle given (--ca-cert, ca_certs); make sure it holds the proxy's CA"

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
		for _, f := range llbgen.TLSFailurePatterns() {
			if strings.Contains(l, f) {
				return true
			}
		}
	}
	return false
}
