package build

import (
	"testing"

	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/report"
	"github.com/stagebuild/stagebuild/verify"
)

// The frontend's error is all a client sees of a failed gate: it names the
// failing tests from the JUnit reports, else ends with the test's output,
// and each failed check.
func TestFrontendGateErrorText(t *testing.T) {
	ge := &GateError{
		Gates: []*GateResult{
			{Gate: "tests", Command: "pytest", ExitCode: 1, Summary: &report.Summary{Passed: 1, Failed: 1,
				Failing: []report.Case{{Class: "tests.test_app", Name: "test_health"}}}},
			{Gate: "lint", Command: "ruff check", ExitCode: 2, Log: []string{"E501 line too long", "Found 1 error."}},
		},
		Checks:  []CheckReport{{Stage: "service", Failures: []verify.Failure{{Check: "files", Message: "/app/tests exists"}}}},
		Blocked: []string{"service"},
	}
	want := `gate "tests" failed: pytest exited with code 1 (1 failed, 0 errors, 1 passed); gate "lint" failed: ruff check exited with code 2; ` +
		`checks of "service" failed: files: /app/tests exists; nothing was exported for service
gate "tests" failing tests: tests.test_app::test_health
gate "lint" output (last lines):
  E501 line too long
  Found 1 error.
check files of "service": /app/tests exists`
	if got := (&FrontendGateError{GateError: ge}).Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Proxy credentials are refused before anything is built: only the CLI can
// serve them as secrets.
func TestFrontendRefusesProxyCredentials(t *testing.T) {
	opts := Options{Plan: &plan.Plan{Targets: []plan.Target{{Stage: "image"}}},
		Host: HostConfig{Proxy: llb.ProxyEnv{HTTPSProxy: "http://user:pw@proxy:3128"}}}
	_, err := Frontend(t.Context(), nil, opts, "")
	want := "build arg HTTPS_PROXY carries credentials, which the stagebuild frontend cannot keep out of the build's " +
		"definition (stagebuild build hands them to the steps as secrets): pass a proxy without credentials, or build with `stagebuild build`"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
