package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild/build"
)

// Streams are the command's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// NewRootCmd returns the stagebuild command tree.
func NewRootCmd(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "stagebuild",
		Short:         "Gated multi-stage container builds on BuildKit",
		Long:          "stagebuild builds the stages declared in stagebuild.yaml on BuildKit. Test stages gate the images\nthey guard: nothing is exported, pushed or written unless every gate passed.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usage(fmt.Errorf("%s (see '%s --help')", err, c.CommandPath()))
	})
	root.AddCommand(newBuildCmd(s, nil), newTargetsCmd(s, nil), newPlanCmd(s, nil))
	root.AddCommand(newInitCmd(s, nil), newImportCmd(s, nil), newDevcontainerCmd(s, nil))
	root.AddCommand(newDockerfileCmd(s, nil), newLLBCmd(s, nil), newDaemonCmd(s, nil))
	root.AddCommand(newDebugCmd(s, nil))
	// Every command's help ends with the exit codes (inherited by the
	// subcommands, as is the usage template).
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitCodesHelp(100))
	return root
}

// Main runs the CLI and returns the process exit code.
func Main(args []string, s Streams) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, stop := onInterrupt(context.Background(), sigs, s.Err, os.Exit)
	defer stop()
	root := NewRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("interrupted: %w", context.Canceled)
	}
	if strings.HasPrefix(err.Error(), "unknown command") {
		err = usage(fmt.Errorf("%s (see 'stagebuild --help')", err))
	}
	var hint *build.TLSHintError
	if errors.As(err, &hint) {
		// The error stays one line; the hint is a line of its own.
		fmt.Fprintf(s.Err, "stagebuild: %s\n%s\n", oneLine(hint.Err.Error()), hint.Hint)
		return ExitCode(err)
	}
	fmt.Fprintf(s.Err, "stagebuild: %s\n", oneLine(err.Error()))
	return ExitCode(err)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
