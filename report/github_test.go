package report

import (
	"reflect"
	"testing"
)

func TestGitHubAnnotationsPytest(t *testing.T) {
	s := parseFile(t, "pytest_failures.xml")
	got := s.GitHubAnnotations("examples/python-service")
	want := []string{
		"::error file=examples/python-service/tests/test_mixed.py,line=14,title=FAILED tests.test_mixed.test_divide::assert (1 / 2) == 1",
		"::error file=examples/python-service/tests/test_mixed.py,line=6,title=ERROR tests.test_mixed.test_uses_fixture::" +
			`failed on setup with "RuntimeError: database is down"`,
		"::error file=examples/python-service/tests/test_mixed.py,line=34,title=FAILED tests.test_mixed.TestUser.test_name::" +
			"AssertionError: names differ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("annotations =\n%q\nwant\n%q", got, want)
	}
	if got := parseFile(t, "pytest_pass.xml").GitHubAnnotations(""); len(got) != 0 {
		t.Errorf("a passing report has annotations: %q", got)
	}
}

func TestGitHubAnnotationsPlacement(t *testing.T) {
	s := &Summary{Failing: []Case{
		{Name: "org.ruff.F401", Class: "app/main", File: "app/main.py", Line: 1, Status: Failed, Message: "`os` imported but unused"},
		{Name: "TestGet", Class: "example.com/store", Status: Failed, Message: "Failed"},
		{Name: "abs", File: "/app/tests/test_a.py", Status: Errored},
		{Name: "noline", File: "./tests/test_b.py", Status: Failed, Message: "m"},
	}}
	got := s.GitHubAnnotations("./svc/")
	want := []string{
		"::error file=svc/app/main.py,line=1,title=FAILED org.ruff.F401::`os` imported but unused",
		"::error title=FAILED TestGet::Failed",
		"::error file=/app/tests/test_a.py,title=ERROR abs::error",
		"::error file=svc/tests/test_b.py,title=FAILED noline::m",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("annotations =\n%q\nwant\n%q", got, want)
	}
}

func TestGitHubAnnotationsEscaping(t *testing.T) {
	s := &Summary{Failing: []Case{{
		Class: "t", Name: "test_x[a,b:c]", File: "dir,1/x:y.py", Line: 3, Status: Failed,
		Message: "100% wrong\r\nsecond: line, too",
	}}}
	got := s.GitHubAnnotations("")
	want := []string{"::error file=dir%2C1/x%3Ay.py,line=3,title=FAILED t.test_x[a%2Cb%3Ac]::100%25 wrong%0D%0Asecond: line, too"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("annotations =\n%q\nwant\n%q", got, want)
	}
}
