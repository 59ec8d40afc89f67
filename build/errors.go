package build

import (
	"fmt"
	"strings"
)

// GateFailure is one gate whose test command failed.
type GateFailure struct {
	Gate     string
	Command  string
	ExitCode int
	// Log is the tail of the test command's output.
	Log []string
}

// GateError means a gate failed, so the targets it guards were not exported.
type GateError struct {
	Failures []GateFailure
	// Blocked lists the targets whose export was withheld.
	Blocked []string
}

func (e *GateError) Error() string {
	var parts []string
	for _, f := range e.Failures {
		parts = append(parts, fmt.Sprintf("gate %q failed: %s exited with code %d", f.Gate, f.Command, f.ExitCode))
	}
	msg := strings.Join(parts, "; ")
	if len(e.Blocked) > 0 {
		msg += fmt.Sprintf("; nothing was exported for %s", strings.Join(e.Blocked, ", "))
	}
	return msg
}
