package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild"
	"github.com/stagebuild/stagebuild/pipeline"
)

// InitOptions are the parsed flags of `stagebuild init`.
type InitOptions struct {
	Dir       string
	Force     bool
	DryRun    bool
	Installer string
}

func newInitCmd(s Streams, runF func(*InitOptions) error) *cobra.Command {
	o := &InitOptions{}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a stagebuild.yaml for an existing Python project",
		Long: `Inspect the Python project in DIR (default: the current directory) and write DIR/stagebuild.yaml
with the deps → test_deps → builder/tests_builder → tests/localdev/service layout: service deps and
test deps in separate layers, a tests gate, a localdev image with the test deps for IDEs, and a
service image gated by the tests.

It reads requirements files (requirements.txt and requirements-test.txt, test_requirements.txt,
requirements-dev.txt and the like), poetry.lock, uv.lock or Pipfile.lock; the source package (a
directory with __init__.py, or src/<package>/); tests/ or test/; the test runner (pytest when it is a
test dependency or configured, else unittest); and the entrypoint (a Dockerfile's ENTRYPOINT/CMD, a
Flask or FastAPI app served by gunicorn or uvicorn, or python -m PACKAGE for __main__.py).

Dependencies are installed with uv (--installer uv, the default): a uv stage fetches uv's wheel
from PyPI with the base image's pip, and deps and test_deps mount it read-only for their installs,
so uv is never in an image. --installer pip installs with the base image's pip instead, for an
index or network uv cannot use (uv reads no pip.conf or PIP_* settings).

Lockfiles are installed from requirements files, not with Poetry or uv's project commands: init
writes requirements.lock.txt (and requirements-dev.lock.txt for the test group) from the lock.
Commit them, and run stagebuild init --force again after changing the lock.

Each finding is printed as "detected: ..." (read from a file) or "guessed: ..." (check it). An
existing stagebuild.yaml is never overwritten without --force. --dry-run prints the pipeline on
stdout and the findings on stderr, and writes nothing.`,
		Example: `  stagebuild init
  stagebuild init services/orders --dry-run > /tmp/stagebuild.yaml
  stagebuild init --force    # regenerate after changing poetry.lock or uv.lock`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usage(fmt.Errorf("init takes at most one DIR argument, got %d (%s)", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		ValidArgsFunction: completeDirs,
		RunE: func(c *cobra.Command, args []string) error {
			o.Dir = "."
			if len(args) == 1 {
				o.Dir = args[0]
			}
			if runF != nil {
				return runF(o)
			}
			return runInit(s, o)
		},
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite an existing stagebuild.yaml and generated requirements files")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "print the pipeline to stdout (findings to stderr) and write nothing")
	cmd.Flags().StringVar(&o.Installer, "installer", "uv", "what deps and test_deps install with: uv (mounted from a uv stage, never in an image) or pip (the base image's)")
	return cmd
}

func runInit(s Streams, o *InitOptions) error {
	res, err := stagebuild.Init(stagebuild.InitRequest{Dir: o.Dir, Force: o.Force, DryRun: o.DryRun, Installer: o.Installer})
	if res == nil {
		return err
	}
	notes := s.Out
	if o.DryRun {
		notes = s.Err
	}
	for _, n := range res.Project.Notes {
		fmt.Fprintln(notes, n)
	}
	if o.DryRun {
		_, err := s.Out.Write(res.Files[0].Data)
		for _, f := range res.Files[1:] {
			fmt.Fprintf(s.Err, "would write %s (from %s)\n", filepath.Join(o.Dir, f.Name), res.Project.Lock)
		}
		return err
	}
	for i, path := range res.Written {
		if res.Files[i].Name == pipeline.DefaultFile {
			fmt.Fprintf(s.Out, "wrote %s\n", path)
		} else {
			fmt.Fprintf(s.Out, "wrote %s from %s (commit it; run stagebuild init --force again after changing %s)\n", path, res.Project.Lock, res.Project.Lock)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "next: stagebuild build %s --target service -o type=oci,dest=service.tar\n", o.Dir)
	return nil
}
