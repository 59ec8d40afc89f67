package report

import (
	"errors"
	"fmt"
	"os"
)

// Status is the outcome of one test case.
type Status string

const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Errored Status = "error"
	Skipped Status = "skipped"
)

// Case is one test case of a report.
type Case struct {
	Suite string
	Class string
	Name  string
	// File is the source file, as the report names it (relative to the
	// test runner's root dir, usually); "" when unknown.
	File string
	// Line is 1-based; 0 when unknown.
	Line   int
	Time   float64
	Status Status
	// Message is the first line of the failure, error or skip message, or
	// of its text when the message attribute is empty.
	Message string
}

// Summary counts the cases of one or more reports and keeps the failing ones.
type Summary struct {
	Passed, Failed, Errors, Skipped int
	// Time is the run time in seconds: the time of <testsuites>, else the
	// sum of the top-level suites' times (or of their cases' when a suite
	// has none).
	Time float64
	// Failing holds the failed and errored cases, in file order.
	Failing []Case
}

// Total is the number of cases.
func (s *Summary) Total() int { return s.Passed + s.Failed + s.Errors + s.Skipped }

// Merge adds o's counts and failing cases to s.
func (s *Summary) Merge(o *Summary) {
	if o == nil {
		return
	}
	s.Passed += o.Passed
	s.Failed += o.Failed
	s.Errors += o.Errors
	s.Skipped += o.Skipped
	s.Time += o.Time
	s.Failing = append(s.Failing, o.Failing...)
}

// ParseFiles parses and merges the JUnit reports among the given XML files.
// A file that is not a JUnit report (NotJUnitError, such as a coverage.xml) is
// left out; a JUnit report that does not parse is an error. The summary is
// nil when no file was a JUnit report.
func ParseFiles(paths []string) (*Summary, error) {
	var sum *Summary
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		one, err := Parse(f)
		f.Close()
		var nj *NotJUnitError
		if errors.As(err, &nj) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if sum == nil {
			sum = &Summary{}
		}
		sum.Merge(one)
	}
	return sum, nil
}

func (s *Summary) count(st Status) {
	switch st {
	case Passed:
		s.Passed++
	case Failed:
		s.Failed++
	case Errored:
		s.Errors++
	case Skipped:
		s.Skipped++
	}
}
