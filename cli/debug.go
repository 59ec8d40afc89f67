package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/containerd/console"
	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/services"
)

// exitStatusError makes stagebuild exit with a given code: that of the
// command `stagebuild debug` ran.
type exitStatusError struct {
	code int
	msg  string
}

func (e *exitStatusError) Error() string { return e.msg }

func newDebugCmd(s Streams, runF func(*BuildOptions) error) *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "debug [flags] [DIR] [-- CMD...]",
		Short: "Build; when a gate fails, open a shell or run CMD in its filesystem, its services still up",
		Long: `Build the requested targets as 'stagebuild build' does (no outputs). When a gate fails, open a
container on the filesystem the gate's test ran on, with the test's env, workdir and user, and
with the gate's services still running and their env set (also in /run/stagebuild/services.env).
With no CMD, an interactive /bin/sh runs on the terminal; with CMD, CMD runs and its exit code
becomes stagebuild's. When no gate fails, debug says so and exits 0.`,
		Example: `  stagebuild debug examples/notes-pg
  stagebuild debug --target service -- ls /app/tests
  stagebuild debug -- python -c "import os, psycopg; psycopg.connect(os.environ['DATABASE_URL'])"`,
		RunE: func(c *cobra.Command, args []string) error {
			dirArgs, cmdArgs := args, []string(nil)
			if at := c.ArgsLenAtDash(); at >= 0 {
				dirArgs, cmdArgs = args[:at], args[at:]
			}
			if len(dirArgs) > 1 {
				return usage(fmt.Errorf("debug takes at most one DIR argument before --, got %d (%s)", len(dirArgs), strings.Join(dirArgs, " ")))
			}
			opts, err := f.options(dirArgs)
			if err != nil {
				return usage(err)
			}
			d, err := debugSession(s, cmdArgs)
			if err != nil {
				return err
			}
			opts.Debug = d
			if runF != nil {
				return runF(opts)
			}
			return debugOutcome(s, d, runBuild(c, s, opts))
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "pipeline file (default DIR/stagebuild.yaml)")
	fl.StringArrayVar(&f.targets, "target", nil, "stage to build; repeatable (default: the pipeline's default, else service)")
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "set a pipeline arg: KEY=VALUE; repeatable")
	fl.StringVar(&f.progress, "progress", "plain", "progress output: auto, plain, tty, rawjson or quiet")
	fl.StringVar(&f.reports, "reports", build.DefaultReportsDir, "directory that receives each gate's reports, as DIR/<gate>/")
	fl.BoolVar(&f.rerunTests, "rerun-tests", false, "run test commands again instead of reusing a cached verdict")
	fl.StringVar(&f.addr, "addr", "", "BuildKit address (default $BUILDKIT_HOST, else a local daemon started on demand)")
	f.buildx.register(fl)
	f.host.register(fl)
	registerTargetCompletion(cmd)
	return cmd
}

// debugSession sets up how the debug process talks to this terminal: a
// shell gets the terminal in raw mode; a command gets the streams.
func debugSession(s Streams, args []string) (*build.Debug, error) {
	d := &build.Debug{Args: args, Stdout: nopCloser{s.Out}, Stderr: nopCloser{s.Err}}
	d.Opening = func(res *build.GateResult, env []string) {
		printGate(s, res)
		what := "/bin/sh"
		if len(args) > 0 {
			what = strings.Join(args, " ")
		}
		fmt.Fprintf(s.Err, "stagebuild: debug: running %s in gate %s's filesystem\n", what, res.Gate)
		for _, e := range env {
			fmt.Fprintf(s.Err, "stagebuild: debug:   %s\n", e)
		}
	}
	in, _ := s.In.(*os.File)
	if len(args) > 0 {
		// A command reads piped input, never the terminal.
		if in != nil {
			if _, err := console.ConsoleFromFile(in); err != nil {
				d.Stdin = io.NopCloser(in)
			}
		}
		return d, nil
	}
	if in == nil {
		return nil, usage(fmt.Errorf("stagebuild debug opens a shell on a terminal: run it from one, or give a command after --"))
	}
	con, err := console.ConsoleFromFile(in)
	if err != nil {
		return nil, usage(fmt.Errorf("stagebuild debug opens a shell on a terminal, and stdin is none: run it from one, or give a command after --"))
	}
	d.Tty, d.Stdin = true, io.NopCloser(in)
	d.Started = func(resize func(rows, cols uint32)) func() {
		_ = con.SetRaw()
		size := func() {
			if sz, err := con.Size(); err == nil {
				resize(uint32(sz.Height), uint32(sz.Width))
			}
		}
		size()
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		go func() {
			for range winch {
				size()
			}
		}()
		return func() {
			signal.Stop(winch)
			close(winch)
			_ = con.Reset()
		}
	}
	return d, nil
}

// debugOutcome turns the build's result into debug's: the debug process's
// exit code when a gate was debugged, else the build's own.
func debugOutcome(s Streams, d *build.Debug, err error) error {
	if d.Gate == "" || !d.Ran {
		if err == nil {
			fmt.Fprintln(s.Err, "stagebuild: debug: no gate failed; nothing to debug")
		}
		return err
	}
	if d.Exit == 0 {
		return nil
	}
	what := "/bin/sh"
	if len(d.Args) > 0 {
		what = strings.Join(d.Args, " ")
	}
	return &exitStatusError{code: d.Exit, msg: fmt.Sprintf("debug: %s in gate %s exited with code %d", what, d.Gate, d.Exit)}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// printServiceError shows a service that did not come up, with its last
// log lines.
func printServiceError(s Streams, e *services.Error) {
	fmt.Fprintf(s.Err, "------ service %s (for gate %s): %s ------\n", e.Service, e.Gate, e.Reason)
	if len(e.Log) == 0 {
		fmt.Fprintln(s.Err, "(the service printed nothing)")
	}
	for _, l := range e.Log {
		fmt.Fprintln(s.Err, l)
	}
	fmt.Fprintln(s.Err, "------")
}
