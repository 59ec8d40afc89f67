package build

import (
	"errors"
	"fmt"
	"testing"

	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"

	"github.com/stagebuild/stagebuild/llbgen"
)

// A test step that exited with llbgen.InfraExit is an infrastructure
// failure, not a verdict: the error names the gate and the output line,
// and keeps the TLS hint.
func TestInfraError(t *testing.T) {
	line := "E   urllib3.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
	r, d := runnerWithLog("collected 3 items\n"+line+"\n"+llbgen.InfraLinePrefix+line+"\n", false)
	step := errdefs.WrapVertex(&gwpb.ExitError{ExitCode: llbgen.InfraExit, Err: errors.New(`process "/bin/sh -c ..." did not complete successfully: exit code: 86`)}, d)
	ie := infraFailure("tests", fmt.Errorf("solving: %w", step))
	if ie == nil {
		t.Fatal("exit 86 not recognised")
	}
	r.explainInfra(fmt.Errorf("target service: %w", ie))
	want := `gate "tests": its test failed for an infrastructure reason, which is not a verdict and was not cached (the next build runs it again): ` + line
	if ie.Error() != want {
		t.Errorf("error\n got %s\nwant %s", ie, want)
	}
	if got := r.withTLSHint(ie); got.Error() != want+"\n"+TLSHint {
		t.Errorf("with the hint\n got %s\nwant %s", got, want+"\n"+TLSHint)
	}
	if infraFailure("tests", errors.New(`process "/bin/sh -c ..." did not complete successfully: exit code: 86`)) == nil {
		t.Error("the exit code in the text alone not recognised")
	}
	for _, err := range []error{
		errdefs.WrapVertex(&gwpb.ExitError{ExitCode: 1, Err: errors.New("exit code: 1")}, d),
		errors.New(`process "/bin/sh -c ..." did not complete successfully: exit code: 186`),
	} {
		if ie := infraFailure("tests", err); ie != nil {
			t.Errorf("%v taken for an infrastructure failure", err)
		}
	}
}
