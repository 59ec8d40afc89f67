package build

import (
	"errors"
	"fmt"
	"strings"

	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"

	"github.com/stagebuild/stagebuild/llbgen"
)

// InfraError is a gate whose test failed for an infrastructure reason (TLS
// verification, a proxy that refused, a name that did not resolve; see
// llbgen.InfraExit). That is no verdict on the code: the test step failed,
// so BuildKit cached nothing, and the next build runs the test again.
type InfraError struct {
	Gate string
	// Line is the test's output line that showed the failure, once the
	// build's progress is drained.
	Line string
	// Err is the failed solve of the test step.
	Err error
}

func (e *InfraError) Error() string {
	msg := fmt.Sprintf("gate %q: its test failed for an infrastructure reason, which is not a verdict and was not cached (the next build runs it again)", e.Gate)
	if e.Line != "" {
		msg += ": " + e.Line
	}
	return msg
}

func (e *InfraError) Unwrap() error { return e.Err }

// infraFailure recognises the failed solve of a gate's test step that
// exited with llbgen.InfraExit.
func infraFailure(gate string, err error) *InfraError {
	var ee *gwpb.ExitError
	if (errors.As(err, &ee) && ee.ExitCode == llbgen.InfraExit) ||
		strings.HasSuffix(err.Error(), fmt.Sprintf("exit code: %d", llbgen.InfraExit)) {
		return &InfraError{Gate: gate, Err: err}
	}
	return nil
}

// explainInfra fills in the output line of an InfraError from the test
// step's log. It must run after every progress channel is drained.
func (r *runner) explainInfra(err error) {
	var ie *InfraError
	var ve *errdefs.VertexError
	if !errors.As(err, &ie) || ie.Line != "" || !errors.As(ie.Err, &ve) || ve.Vertex == nil {
		return
	}
	for _, l := range r.logs.tail(digest.Digest(ve.Digest)) {
		if s, ok := strings.CutPrefix(l, llbgen.InfraLinePrefix); ok {
			ie.Line = s
		}
	}
}
