package build

import (
	"fmt"
	"strings"

	"github.com/stagebuild/stagebuild/verify"
)

// CheckReport is the outcome of one image stage's checks.
type CheckReport struct {
	Stage string
	// Total counts the checks run, the purity check included.
	Total    int
	Failures []verify.Failure
}

// GateError means a gate or an image check failed, so the targets it guards
// were not exported.
type GateError struct {
	// Gates are the failed blocking gates.
	Gates []*GateResult
	// Checks are the image stages whose checks failed.
	Checks []CheckReport
	// Blocked lists the targets whose export was withheld.
	Blocked []string
}

func (e *GateError) Error() string {
	var parts []string
	for _, g := range e.Gates {
		msg := fmt.Sprintf("gate %q failed: %s exited with code %d", g.Gate, g.Command, g.ExitCode)
		if s := g.Summary; s != nil {
			msg += fmt.Sprintf(" (%d failed, %d errors, %d passed)", s.Failed, s.Errors, s.Passed)
		}
		parts = append(parts, msg)
	}
	for _, c := range e.Checks {
		if len(c.Failures) == 0 {
			parts = append(parts, fmt.Sprintf("checks of %q failed", c.Stage))
			continue
		}
		first := c.Failures[0]
		msg := fmt.Sprintf("checks of %q failed: %s: %s", c.Stage, first.Check, first.Message)
		if n := len(c.Failures) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more)", n)
		}
		parts = append(parts, msg)
	}
	if len(parts) == 0 {
		parts = append(parts, "a gate failed")
	}
	msg := strings.Join(parts, "; ")
	if len(e.Blocked) > 0 {
		msg += fmt.Sprintf("; nothing was exported for %s", strings.Join(e.Blocked, ", "))
	}
	return msg
}
