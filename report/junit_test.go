package report

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func parseFile(t *testing.T, name string) *Summary {
	t.Helper()
	s, err := ParseFiles([]string{"testdata/" + name})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type counts struct{ passed, failed, errors, skipped, total int }

func countsOf(s *Summary) counts {
	return counts{s.Passed, s.Failed, s.Errors, s.Skipped, s.Total()}
}

func TestParsePytestPassing(t *testing.T) {
	s := parseFile(t, "pytest_pass.xml")
	if got, want := countsOf(s), (counts{2, 0, 0, 0, 2}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	if len(s.Failing) != 0 || math.Abs(s.Time-0.015) > 1e-9 {
		t.Errorf("failing %v, time %v", s.Failing, s.Time)
	}
}

func TestParsePytestFailures(t *testing.T) {
	s := parseFile(t, "pytest_failures.xml")
	// pytest said: 2 failed, 3 passed, 1 skipped, 1 xfailed, 1 error. An
	// xfail is written as a skip.
	if got, want := countsOf(s), (counts{3, 2, 1, 2, 8}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	// xunit2 has no file or line: the file comes from the classname, the
	// line from the traceback frame in that file.
	want := []Case{
		{Suite: "pytest", Class: "tests.test_mixed", Name: "test_divide", File: "tests/test_mixed.py", Line: 14,
			Time: 0.001, Status: Failed, Message: "assert (1 / 2) == 1"},
		{Suite: "pytest", Class: "tests.test_mixed", Name: "test_uses_fixture", File: "tests/test_mixed.py", Line: 6,
			Status: Errored, Message: `failed on setup with "RuntimeError: database is down"`},
		{Suite: "pytest", Class: "tests.test_mixed.TestUser", Name: "test_name", File: "tests/test_mixed.py", Line: 34,
			Status: Failed, Message: "AssertionError: names differ"},
	}
	if !reflect.DeepEqual(s.Failing, want) {
		t.Errorf("failing =\n%+v\nwant\n%+v", s.Failing, want)
	}
}

func TestParsePytestXunit1LinesAreOneBased(t *testing.T) {
	s := parseFile(t, "pytest_xunit1.xml")
	var got []string
	for _, c := range s.Failing {
		got = append(got, c.File+":"+strconv.Itoa(c.Line)+" "+c.Name)
	}
	// The report says 12, 16 and 31: the 0-based lines of the defs.
	want := []string{"tests/test_mixed.py:13 test_divide", "tests/test_mixed.py:17 test_uses_fixture", "tests/test_mixed.py:32 test_name"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParsePytestCollectionError(t *testing.T) {
	s := parseFile(t, "pytest_collection_error.xml")
	want := []Case{{Suite: "pytest", Name: "tests.test_broken", File: "tests/test_broken.py", Line: 1, Status: Errored,
		Message: "collection failure"}}
	if !reflect.DeepEqual(s.Failing, want) || s.Errors != 1 || s.Total() != 1 {
		t.Errorf("failing = %+v (errors %d, total %d)", s.Failing, s.Errors, s.Total())
	}
}

func TestParseVariants(t *testing.T) {
	tests := []struct {
		file    string
		counts  counts
		time    float64
		failing []string // File:Line Status Message
	}{
		{"jest.xml", counts{2, 1, 0, 1, 4}, 1.204,
			[]string{"src/calculator.test.js:0 failed Error: expect(received).toThrow()"}},
		{"gotest.xml", counts{1, 1, 1, 0, 3}, 0.016,
			[]string{":0 failed Failed", ":0 error Runtime error"}},
		{"ruff.xml", counts{0, 2, 0, 0, 2}, 0,
			[]string{"app/main.py:1 failed `os` imported but unused", "app/main.py:12 failed Comparison to `None` should be `cond is None`"}},
		{"nested.xml", counts{1, 1, 0, 1, 3}, 0.55,
			[]string{":0 failed café closed"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s := parseFile(t, tc.file)
			if got := countsOf(s); got != tc.counts {
				t.Errorf("counts = %+v, want %+v", got, tc.counts)
			}
			if math.Abs(s.Time-tc.time) > 1e-9 {
				t.Errorf("time = %v, want %v", s.Time, tc.time)
			}
			var got []string
			for _, c := range s.Failing {
				got = append(got, c.File+":"+strconv.Itoa(c.Line)+" "+string(c.Status)+" "+c.Message)
			}
			if !reflect.DeepEqual(got, tc.failing) {
				t.Errorf("failing =\n%q\nwant\n%q", got, tc.failing)
			}
		})
	}
}

func TestParseNestedSuiteNames(t *testing.T) {
	s := parseFile(t, "nested.xml")
	if len(s.Failing) != 1 || s.Failing[0].Suite != "deep" || s.Failing[0].Class != "pkg.Deep" {
		t.Errorf("failing = %+v, want the case of suite deep", s.Failing)
	}
}

func TestParseLatin1(t *testing.T) {
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><testsuite name=\"s\"><testcase name=\"t\"><failure message=\"caf\xe9\"/></testcase></testsuite>"
	s, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Failing) != 1 || s.Failing[0].Message != "café" {
		t.Errorf("failing = %+v", s.Failing)
	}
}

func TestParseFailureOutranksSkip(t *testing.T) {
	doc := `<testsuite><testcase name="a"><skipped message="s"/><error message="teardown broke"/><failure message="later"/></testcase>
<testcase name="b"><skipped message="one"/><skipped message="two"/></testcase></testsuite>`
	s, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.Errors != 1 || s.Skipped != 1 || s.Failed != 0 || len(s.Failing) != 1 || s.Failing[0].Message != "teardown broke" {
		t.Errorf("summary = %+v", s)
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]string{
		"":                                  "not a JUnit report: no <testsuites> or <testsuite> element",
		"<html><body/></html>":              "not a JUnit report: the root element is <html>, not <testsuites> or <testsuite>",
		"<testsuite><testcase></testsuite>": "invalid XML: XML syntax error on line 1: element <testcase> closed by </testsuite>",
		`<?xml version="1.0" encoding="EBCDIC"?><testsuite/>`: `invalid XML: xml: opening charset "EBCDIC": unsupported encoding "EBCDIC" (write the report in UTF-8)`,
	}
	for doc, want := range tests {
		_, err := Parse(strings.NewReader(doc))
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %s", doc, err, want)
		}
	}
}

func TestParseFilesMerges(t *testing.T) {
	s, err := ParseFiles([]string{"testdata/pytest_failures.xml", "testdata/ruff.xml", "testdata/pytest_pass.xml"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := countsOf(s), (counts{5, 4, 1, 2, 12}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	if len(s.Failing) != 5 || s.Failing[0].Name != "test_divide" || s.Failing[4].Name != "org.ruff.E711" {
		t.Errorf("failing not in file order: %+v", s.Failing)
	}
	if math.Abs(s.Time-0.064) > 1e-9 {
		t.Errorf("time = %v, want 0.064", s.Time)
	}
	if _, err := ParseFiles([]string{"testdata/nope.xml"}); err == nil {
		t.Error("a missing file parsed")
	}
	broken := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(broken, []byte("<testsuite><testcase>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFiles([]string{broken}); err == nil || !strings.HasPrefix(err.Error(), broken+": invalid XML: ") {
		t.Errorf("err = %v, want one naming the file", err)
	}
	var nilSum *Summary
	s.Merge(nilSum)
	if s.Total() != 12 {
		t.Errorf("merging nil changed the total to %d", s.Total())
	}
}

func TestPytestFile(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"tests.test_app", "test_x"}:                "tests/test_app.py",
		{"tests.test_app.TestUser.TestNested", "x"}: "tests/test_app.py",
		{"test_app", "x"}:                           "test_app.py",
		{"", "tests.test_broken"}:                   "tests/test_broken.py",
		{"", "tests/test_broken.py"}:                "tests/test_broken.py",
		{"TestOnly", "x"}:                           "",
		{"", ""}:                                    "",
	} {
		if got := pytestFile(in[0], in[1]); got != want {
			t.Errorf("pytestFile(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

// A coverage.xml (Cobertura) beside junit.xml is not a JUnit report: it is
// left out of the summary, not an error (issue 13, item 5).
func TestParseFilesSkipsNonJUnitXML(t *testing.T) {
	s, err := ParseFiles([]string{"testdata/cobertura.xml", "testdata/pytest_pass.xml"})
	if err != nil {
		t.Fatalf("ParseFiles with a coverage.xml: %v", err)
	}
	if s == nil || s.Failed != 0 || s.Total() == 0 {
		t.Errorf("summary = %+v, want pytest_pass.xml's counts", s)
	}
	s, err = ParseFiles([]string{"testdata/cobertura.xml"})
	if err != nil || s != nil {
		t.Errorf("only a coverage.xml: summary %+v, err %v; want nil, nil", s, err)
	}
	_, err = Parse(strings.NewReader("<coverage/>"))
	var nj *NotJUnitError
	if !errors.As(err, &nj) {
		t.Errorf("Parse(<coverage/>) = %v, want a *NotJUnitError", err)
	}
}
