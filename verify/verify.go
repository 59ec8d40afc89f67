package verify

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Failure is one unmet expectation, worded for a human: what was expected,
// what was found, and where it was declared.
type Failure struct {
	// Check names the check: "files /app/tests", "metadata user",
	// `commands "pytest is not installed"`, "smoke".
	Check string
	// Message says what was expected and what was found. It may span
	// several lines when it quotes a command's output.
	Message string
	// Source is the check's place in the pipeline file (file:line:col).
	Source string
}

// String renders "SOURCE: CHECK: MESSAGE".
func (f Failure) String() string {
	s := f.Check + ": " + f.Message
	if f.Source != "" {
		s = f.Source + ": " + s
	}
	return s
}

// TailLines is how many trailing lines of a command's output a Failure
// quotes.
const TailLines = 10

// tail renders the last TailLines lines of out, indented under a heading,
// or "" when out is empty.
func tail(name string, out []byte) string {
	text := strings.TrimRight(string(out), "\n")
	if strings.TrimSpace(text) == "" {
		return ""
	}
	if !utf8.ValidString(text) {
		return fmt.Sprintf("\n  %s: %d bytes of binary data", name, len(out))
	}
	lines := strings.Split(text, "\n")
	head := fmt.Sprintf("%s:", name)
	if len(lines) > TailLines {
		head = fmt.Sprintf("%s (last %d of %d lines):", name, TailLines, len(lines))
		lines = lines[len(lines)-TailLines:]
	}
	return "\n  " + head + "\n    " + strings.Join(lines, "\n    ")
}

// argv renders an argv as JSON, the exec form users write; nil is "none".
func argv(args []string) string {
	if args == nil {
		return "none"
	}
	b, _ := json.Marshal(args)
	return string(b)
}

// found renders an observed string value, "none" when empty.
func found(s string) string {
	if s == "" {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}
