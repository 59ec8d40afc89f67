package report

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// xmlCase is a <testcase> with its result elements, in order.
type xmlCase struct {
	Class   string      `xml:"classname,attr"`
	Name    string      `xml:"name,attr"`
	File    string      `xml:"file,attr"`
	Line    string      `xml:"line,attr"`
	Time    string      `xml:"time,attr"`
	Results []xmlResult `xml:",any"`
}

type xmlResult struct {
	XMLName xml.Name
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// failing is a failing case with what is needed to place it afterwards.
type failing struct {
	Case
	hasLine bool
	text    string
}

// NotJUnitError is an XML file that is not a JUnit report at all (such as
// a Cobertura coverage.xml): its root element is not <testsuites> or
// <testsuite>. Reports directories hold such files beside the JUnit ones.
type NotJUnitError struct{ Why string }

func (e *NotJUnitError) Error() string { return "not a JUnit report: " + e.Why }

// Parse reads one JUnit XML report. The root is <testsuites> or <testsuite>;
// suites may nest. Elements other than suites and cases are skipped.
func Parse(r io.Reader) (*Summary, error) {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charsetReader
	var (
		sum         = &Summary{}
		suites      []string // enclosing suite names
		topHasTime  bool     // the enclosing top-level suite reports its time
		rootTime    = -1.0
		root, isPyt bool
		fails       []failing
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if !root {
				if name != "testsuites" && name != "testsuite" {
					return nil, &NotJUnitError{fmt.Sprintf("the root element is <%s>, not <testsuites> or <testsuite>", name)}
				}
				root = true
				if secs, ok := seconds(attr(t, "time")); ok && name == "testsuites" {
					rootTime = secs
				}
			}
			switch name {
			case "testsuites":
			case "testsuite":
				suiteName := attr(t, "name")
				isPyt = isPyt || suiteName == "pytest"
				if len(suites) == 0 {
					var secs float64
					secs, topHasTime = seconds(attr(t, "time"))
					sum.Time += secs
				}
				suites = append(suites, suiteName)
			case "testcase":
				var xc xmlCase
				if err := dec.DecodeElement(&xc, &t); err != nil {
					return nil, fmt.Errorf("invalid XML: %w", err)
				}
				c := toCase(xc, suites)
				if len(suites) == 0 || !topHasTime {
					sum.Time += c.Time
				}
				sum.count(c.Status)
				if c.Status == Failed || c.Status == Errored {
					_, lineErr := strconv.Atoi(strings.TrimSpace(xc.Line))
					fails = append(fails, failing{Case: c, hasLine: lineErr == nil, text: resultText(xc)})
				}
			default:
				if err := dec.Skip(); err != nil {
					return nil, fmt.Errorf("invalid XML: %w", err)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "testsuite" && len(suites) > 0 {
				suites = suites[:len(suites)-1]
			}
		}
	}
	if !root {
		return nil, &NotJUnitError{"no <testsuites> or <testsuite> element"}
	}
	if rootTime >= 0 {
		sum.Time = rootTime
	}
	for _, f := range fails {
		if isPyt {
			placePytest(&f)
		} else {
			placeBySuite(&f)
		}
		sum.Failing = append(sum.Failing, f.Case)
	}
	return sum, nil
}

// toCase reads a case's outcome: the first <failure> or <error> decides;
// <skipped> counts only when there is neither.
func toCase(xc xmlCase, suites []string) Case {
	c := Case{Class: xc.Class, Name: xc.Name, File: xc.File, Status: Passed}
	if len(suites) > 0 {
		c.Suite = suites[len(suites)-1]
	}
	c.Line, _ = strconv.Atoi(strings.TrimSpace(xc.Line))
	c.Time, _ = seconds(xc.Time)
	for _, r := range xc.Results {
		st := map[string]Status{"failure": Failed, "error": Errored, "skipped": Skipped}[r.XMLName.Local]
		if st == "" || c.Status == Failed || c.Status == Errored || (st == Skipped && c.Status == Skipped) {
			continue
		}
		c.Status = st
		if c.Message = firstLine(r.Message); c.Message == "" {
			c.Message = firstLine(r.Text)
		}
	}
	return c
}

// resultText is the body of the case's first failure or error.
func resultText(xc xmlCase) string {
	for _, r := range xc.Results {
		if r.XMLName.Local == "failure" || r.XMLName.Local == "error" {
			return r.Text
		}
	}
	return ""
}

// placeBySuite handles linters that write one suite per file (ruff: suite
// "app/main.py", classname "app/main"): the suite names the file.
func placeBySuite(f *failing) {
	if ext := path.Ext(f.Suite); f.File == "" && ext != "" && strings.TrimSuffix(f.Suite, ext) == f.Class {
		f.File = f.Suite
	}
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// seconds parses a time attribute; some writers add thousands separators.
func seconds(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 64)
	return v, err == nil
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// charsetReader accepts the encodings JUnit writers declare besides UTF-8.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1":
		data, err := io.ReadAll(in)
		var b strings.Builder
		for _, c := range data {
			b.WriteRune(rune(c))
		}
		return strings.NewReader(b.String()), err
	}
	return nil, fmt.Errorf("unsupported encoding %q (write the report in UTF-8)", label)
}
