package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/daemon"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

// Exit codes. ExitCodes describes them; `stagebuild --help` and
// docs/reference render that description, so it is their one source.
const (
	ExitOK          = 0
	ExitBuild       = 1
	ExitUsage       = 2
	ExitGate        = 3
	ExitInterrupted = 130
)

// ExitCodeDoc is one documented exit code.
type ExitCodeDoc struct {
	Code    int
	Meaning string
}

// ExitCodes returns the exit codes every command documents, in order.
func ExitCodes() []ExitCodeDoc {
	return []ExitCodeDoc{
		{ExitOK, "success"},
		{ExitBuild, "the build or its infrastructure failed: a run step failed, the daemon is unreachable, buildkitd or runc is missing, an export failed, a service did not come up"},
		{ExitUsage, "usage error: a bad flag, a bad pipeline file, an unknown target, a --secret or --ssh that a stage needs and was not given"},
		{ExitGate, "a gate or an image check failed: nothing it guards was exported, pushed or written"},
		{ExitInterrupted, "interrupted (SIGINT or SIGTERM)"},
	}
}

// exitCodesHelp renders ExitCodes for the help text, wrapped to width.
func exitCodesHelp(width int) string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, e := range ExitCodes() {
		fmt.Fprintf(&b, "  %-5d", e.Code)
		col := 7
		for i, w := range strings.Fields(e.Meaning) {
			if i > 0 && col+1+len(w) > width {
				b.WriteString("\n       ")
				col = 7
			} else if i > 0 {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(w)
			col += len(w)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// usageError marks errors in what the user typed.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

// ExitCode maps an error to its exit code.
func ExitCode(err error) int {
	var (
		ue *usageError
		pe *pipeline.Error
		te *targets.UnknownTargetError
		ge *build.GateError
		fe *daemon.FlagError
		xe *exitStatusError
		be *buildflags.UsageError
		re *build.ReportsDirError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &xe): // stagebuild debug's command (debug.go)
		return xe.code
	case errors.As(err, &ge):
		return ExitGate
	case errors.As(err, &ue), errors.As(err, &pe), errors.As(err, &te), errors.As(err, &fe), errors.As(err, &be), errors.As(err, &re):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitBuild
}
