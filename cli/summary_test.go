package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/report"
)

// A failed advisory gate is not listed as passed (issue 13, item 9).
func TestSummaryAdvisoryGate(t *testing.T) {
	res := &build.Result{
		Targets: []build.TargetResult{{Stage: "service", Gates: []string{"tests", "lint"}, Exported: []string{"svc.tar"}}},
		Gates: []*build.GateResult{
			{Gate: "tests", Passed: true},
			{Gate: "lint", Advisory: true, ExitCode: 1, Command: "ruff check"},
		},
	}
	var out, errb bytes.Buffer
	printSummary(Streams{Out: &out, Err: &errb}, res, nil, nil)
	want := "stagebuild: service built (gates passed: tests; advisory gates FAILED (not blocking): lint) → svc.tar\n"
	if !strings.HasSuffix(errb.String(), want) {
		t.Errorf("summary:\n%s\nwant it to end with:\n%s", errb.String(), want)
	}
	if strings.Contains(errb.String(), "gates passed: tests, lint") {
		t.Errorf("a failed advisory gate is listed as passed:\n%s", errb.String())
	}
	for names, want := range map[string]string{
		"":           "no gates",
		"tests":      "gates passed: tests",
		"lint":       "advisory gates FAILED (not blocking): lint",
		"tests,gone": "gates passed: tests; gates not run: gone",
	} {
		var list []string
		if names != "" {
			list = strings.Split(names, ",")
		}
		if got := gateVerdicts(list, res.Gates); got != want {
			t.Errorf("gateVerdicts(%q) = %q, want %q", names, got, want)
		}
	}
}

// With an output on stdout (dest=-), GitHub annotations go to stderr: the
// tar on stdout holds nothing else.
func TestAnnotationsNeverInStdoutTar(t *testing.T) {
	res := &build.Result{Gates: []*build.GateResult{{Gate: "tests", Summary: &report.Summary{Failed: 1,
		Failing: []report.Case{{Name: "test_x", File: "tests/test_x.py", Line: 3, Status: report.Failed, Message: "boom"}}}}}}
	tarOut := map[string][]buildflags.Output{"service": {{Type: "tar", Attrs: map[string]string{"dest": "-"}}}}
	fileOut := map[string][]buildflags.Output{"service": {{Type: "tar", Attrs: map[string]string{"dest": "svc.tar"}}}}
	var out, errb bytes.Buffer
	printAnnotations(Streams{Out: &out, Err: &errb}, res, ".", tarOut)
	if out.Len() != 0 || !strings.Contains(errb.String(), "::error file=tests/test_x.py,line=3") {
		t.Errorf("dest=-: stdout %q, stderr %q", out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	printAnnotations(Streams{Out: &out, Err: &errb}, res, ".", fileOut)
	if errb.Len() != 0 || !strings.Contains(out.String(), "::error file=tests/test_x.py,line=3") {
		t.Errorf("dest=svc.tar: stdout %q, stderr %q", out.String(), errb.String())
	}
}
