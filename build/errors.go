package build

import (
	"fmt"
	"strings"

	"github.com/stagebuild/stagebuild/verify"
)

// CheckReport is the outcome of one image stage's checks.
type CheckReport struct {
	Stage string
	// Platform is the platform checked in a multi-platform build; "" in a
	// single-platform one.
	Platform string
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
		if g.Platform != "" {
			msg = fmt.Sprintf("gate %q failed on %s: %s exited with code %d", g.Gate, g.Platform, g.Command, g.ExitCode)
		}
		if s := g.Summary; s != nil {
			msg += fmt.Sprintf(" (%d failed, %d errors, %d passed)", s.Failed, s.Errors, s.Passed)
		}
		parts = append(parts, msg)
	}
	for _, c := range e.Checks {
		on := ""
		if c.Platform != "" {
			on = " on " + c.Platform
		}
		if len(c.Failures) == 0 {
			parts = append(parts, fmt.Sprintf("checks of %q failed%s", c.Stage, on))
			continue
		}
		first := c.Failures[0]
		msg := fmt.Sprintf("checks of %q failed%s: %s: %s", c.Stage, on, first.Check, first.Message)
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
