package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"

	"github.com/stagebuild/stagebuild/pipeline"
)

// Pattern is a regular expression from the pipeline (a check's contains,
// stdout or stderr, a smoke check's or readiness check's log or HTTP body),
// compiled when the plan is made: nothing compiles a pipeline's pattern at
// run time. It is written in JSON as its text.
//
// A Pattern is multi-line: ^ and $ match at the line boundaries of a file,
// an output or a body. A LogPattern matches the whole log so far.
type Pattern struct {
	text string
	re   *regexp.Regexp // nil when text is "" or did not compile
}

// LogPattern is a readiness or smoke check's log pattern.
type LogPattern struct{ Pattern }

// NewPattern compiles a check's pattern.
func NewPattern(text string) (Pattern, error) { return newPattern(text, true) }

// NewLogPattern compiles a log pattern.
func NewLogPattern(text string) (LogPattern, error) {
	p, err := newPattern(text, false)
	return LogPattern{p}, err
}

// newPattern compiles text ("" is the unset pattern). Its error says what
// is wrong with the text; a Pattern whose text does not compile matches
// nothing, so a check fails closed.
func newPattern(text string, multiline bool) (Pattern, error) {
	p := Pattern{text: text}
	if text == "" {
		return p, nil
	}
	// Compiled without the flag first, so the error quotes the text as
	// written.
	re, err := regexp.Compile(text)
	if err == nil && multiline {
		re, err = regexp.Compile("(?m)" + text)
	}
	if err != nil {
		why := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			why = string(se.Code)
		}
		return p, fmt.Errorf("%q is not a valid regular expression: %s (escape characters meant literally with \\)", text, why)
	}
	p.re = re
	return p, nil
}

// String is the pattern's text as the pipeline wrote it.
func (p Pattern) String() string { return p.text }

// IsZero reports an unset pattern (which the JSON leaves out).
func (p Pattern) IsZero() bool { return p.text == "" }

// Match reports whether b matches. A pattern that did not compile matches
// nothing, so a check fails closed.
func (p Pattern) Match(b []byte) bool { return p.re != nil && p.re.Match(b) }

// MarshalJSON writes the pattern's text.
func (p Pattern) MarshalJSON() ([]byte, error) { return json.Marshal(p.text) }

// UnmarshalJSON reads and compiles a pattern's text.
func (p *Pattern) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return err
	}
	var err error
	*p, err = NewPattern(text)
	return err
}

// UnmarshalJSON reads and compiles a log pattern's text.
func (p *LogPattern) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return err
	}
	var err error
	*p, err = NewLogPattern(text)
	return err
}

// patterns collects the first compile error of a plan's patterns.
type patterns struct{ err error }

// compile compiles the pipeline value v of the given key, as the parser
// names it (`checks.smoke.log of stage "web"`). The parser has judged every
// pattern already, so an error here is for a pipeline built by other means:
// a *pipeline.Error at v's position.
func (ps *patterns) compile(v pipeline.Value, key string) Pattern {
	p, err := NewPattern(v.Value)
	ps.note(v, key, err)
	return p
}

// compileLog is compile for a log pattern.
func (ps *patterns) compileLog(v pipeline.Value, key string) LogPattern {
	p, err := NewLogPattern(v.Value)
	ps.note(v, key, err)
	return p
}

func (ps *patterns) note(v pipeline.Value, key string, err error) {
	if err != nil && ps.err == nil {
		ps.err = &pipeline.Error{Pos: v.Pos, Msg: key + ": " + err.Error()}
	}
}
