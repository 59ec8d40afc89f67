package cli

import (
	"context"
	"errors"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/daemon"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

// Exit codes, documented in the README.
const (
	ExitOK = 0
	// ExitBuild: the build or its infrastructure failed (a RUN step, an
	// unreachable daemon, a missing buildkitd, an export error).
	ExitBuild = 1
	// ExitUsage: bad flags, a bad pipeline file, an unknown target.
	ExitUsage = 2
	// ExitGate: a gate (test stage) failed; nothing it guards was exported.
	ExitGate = 3
	// ExitInterrupted: the build was cancelled by SIGINT or SIGTERM.
	ExitInterrupted = 130
)

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
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &xe): // stagebuild debug's command (debug.go)
		return xe.code
	case errors.As(err, &ge):
		return ExitGate
	case errors.As(err, &ue), errors.As(err, &pe), errors.As(err, &te), errors.As(err, &fe), errors.As(err, &be):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitBuild
}
