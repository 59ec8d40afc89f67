package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild/initgen"
	"github.com/stagebuild/stagebuild/pipeline"
)

// InitOptions are the parsed flags of `stagebuild init`.
type InitOptions struct {
	Dir    string
	Force  bool
	DryRun bool
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

Lockfiles are installed with pip, not Poetry or uv: init writes requirements.lock.txt (and
requirements-dev.lock.txt for the test group) from the lock. Commit them, and run
stagebuild init --force again after changing the lock.

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
	return cmd
}

func runInit(s Streams, o *InitOptions) error {
	if fi, err := os.Stat(o.Dir); err != nil || !fi.IsDir() {
		return usage(fmt.Errorf("%s: not a directory (give the project's root directory)", o.Dir))
	}
	target := filepath.Join(o.Dir, pipeline.DefaultFile)
	if err := refuseOverwrite(target, o); err != nil {
		return err
	}
	proj, err := initgen.Inspect(os.DirFS(o.Dir))
	if err != nil {
		return initError(o.Dir, err)
	}
	files, err := proj.Files()
	if err != nil {
		return err
	}
	notes := s.Out
	if o.DryRun {
		notes = s.Err
	}
	for _, n := range proj.Notes {
		fmt.Fprintln(notes, n)
	}
	if o.DryRun {
		_, err := s.Out.Write(files[0].Data)
		for _, f := range files[1:] {
			fmt.Fprintf(s.Err, "would write %s (from %s)\n", filepath.Join(o.Dir, f.Name), proj.Lock)
		}
		return err
	}
	for _, f := range files[1:] {
		if err := refuseOverwrite(filepath.Join(o.Dir, f.Name), o); err != nil {
			return err
		}
	}
	for _, f := range files {
		path := filepath.Join(o.Dir, filepath.FromSlash(f.Name))
		if err := writeAtomic(path, f.Data); err != nil {
			return err
		}
		if f.Name == pipeline.DefaultFile {
			fmt.Fprintf(s.Out, "wrote %s\n", path)
		} else {
			fmt.Fprintf(s.Out, "wrote %s from %s (commit it; run stagebuild init --force again after changing %s)\n", path, proj.Lock, proj.Lock)
		}
	}
	fmt.Fprintf(s.Out, "next: stagebuild build %s --target service -o type=oci,dest=service.tar\n", o.Dir)
	return nil
}

// refuseOverwrite fails when path exists and neither --force nor --dry-run
// was given.
func refuseOverwrite(path string, o *InitOptions) error {
	if o.Force || o.DryRun {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return usage(fmt.Errorf("%s already exists (pass --force to overwrite it)", path))
	}
	return nil
}

// initError makes a project init cannot describe a usage error, naming DIR.
func initError(dir string, err error) error {
	var ie *initgen.Error
	if errors.As(err, &ie) {
		return usage(fmt.Errorf("init %s: %w", dir, err))
	}
	return err
}

// writeAtomic writes data to a temporary sibling of path and renames it.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
