package verify

import (
	"fmt"
	"strings"

	"github.com/stagebuild/stagebuild/plan"
)

// CommandResult is what a command check's command produced.
type CommandResult struct {
	Exit           int
	Stdout, Stderr []byte
}

// Command judges a command's result: its exit code, then its stdout and
// stderr against the check's regular expressions (multi-line: ^ and $
// match at line boundaries). Each failure quotes the last lines of the
// output it is about.
func Command(c plan.CommandCheck, r CommandResult) []Failure {
	var out []Failure
	fail := func(format string, a ...any) {
		out = append(out, Failure{Check: fmt.Sprintf("commands %q", c.Name), Message: fmt.Sprintf(format, a...), Source: c.Source})
	}
	if r.Exit != c.Exit {
		fail("expected exit code %d, got %d%s%s", c.Exit, r.Exit, tail("stdout", r.Stdout), tail("stderr", r.Stderr))
	}
	for _, s := range []struct {
		name string
		re   plan.Pattern
		out  []byte
	}{{"stdout", c.Stdout, r.Stdout}, {"stderr", c.Stderr, r.Stderr}} {
		switch {
		case s.re.IsZero():
		case !s.re.Match(s.out) && strings.TrimSpace(string(s.out)) == "":
			fail("expected %s matching %q, got no %s", s.name, s.re, s.name)
		case !s.re.Match(s.out):
			fail("expected %s matching %q, got no match%s", s.name, s.re, tail(s.name, s.out))
		}
	}
	return out
}

// HTTPOK judges one answer to a smoke check's HTTP probe: the status must
// be the expected one (200 by default) and the body must match HTTPBody
// when set. When not, why says what was wrong.
func HTTPOK(c *plan.SmokeCheck, status int, body []byte) (ok bool, why string) {
	if c == nil {
		return false, "no smoke check"
	}
	want := c.HTTPStatus
	if want == 0 {
		want = 200
	}
	if status != want {
		return false, fmt.Sprintf("GET %s answered %d, expected %d", c.HTTPPath, status, want)
	}
	if c.HTTPBody.IsZero() {
		return true, ""
	}
	if !c.HTTPBody.Match(body) {
		const max = 200
		shown := body
		if len(shown) > max {
			shown = shown[:max]
		}
		return false, fmt.Sprintf("GET %s answered %d, but the body does not match %q: %q", c.HTTPPath, status, c.HTTPBody, shown)
	}
	return true, ""
}

// SmokeFailure words a failed smoke check (the service did not become
// ready in time, exited, or answered wrongly) as a Failure.
func SmokeFailure(c *plan.SmokeCheck, msg string) Failure {
	f := Failure{Check: "smoke", Message: msg}
	if c != nil {
		f.Source = c.Source
	}
	return f
}
