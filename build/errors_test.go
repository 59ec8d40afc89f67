package build

import (
	"testing"

	"github.com/stagebuild/stagebuild/report"
	"github.com/stagebuild/stagebuild/verify"
)

func TestGateErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  *GateError
		want string
	}{
		{"gate with summary", &GateError{Gates: []*GateResult{{Gate: "tests", Command: "pytest", ExitCode: 1,
			Summary: &report.Summary{Failed: 2, Errors: 1, Passed: 7}}}, Blocked: []string{"service"}},
			`gate "tests" failed: pytest exited with code 1 (2 failed, 1 errors, 7 passed); nothing was exported for service`},
		{"checks", &GateError{Checks: []CheckReport{{Stage: "service", Failures: []verify.Failure{
			{Check: "smoke", Message: "not ready"}, {Check: "files /app", Message: "x"}}}}},
			`checks of "service" failed: smoke: not ready (and 1 more)`},
		// A report with no failures must not panic: it reads as a failure
		// with nothing more to say.
		{"checks without failures", &GateError{Checks: []CheckReport{{Stage: "service"}}, Blocked: []string{"service"}},
			`checks of "service" failed; nothing was exported for service`},
		{"empty", &GateError{}, "a gate failed"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
