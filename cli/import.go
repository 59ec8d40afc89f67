package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild/dockerimport"
)

func newImportCmd(s Streams, runF func(*dockerimport.Options) error) *cobra.Command {
	o := &dockerimport.Options{}
	cmd := &cobra.Command{
		Use:   "import [DIR] [-f Dockerfile]",
		Short: "Write a stagebuild.yaml from a multi-stage Dockerfile",
		Long: `Read DIR/Dockerfile (or -f FILE) with BuildKit's Dockerfile parser and write DIR/stagebuild.yaml with
the same stages: base images and FROM ... AS, ARG, ENV, WORKDIR, USER, LABEL, EXPOSE, ENTRYPOINT, CMD,
COPY and ADD of context files, and RUN with its cache, secret and ssh mounts and heredocs.

A stage whose RUN runs tests (pytest, python -m pytest or unittest, manage.py test, tox, nox, go test,
npm test) becomes a gate, with a JUnit report where the runner writes one; RUN pytest && touch /x with
COPY --from=tests /x becomes gated_by; a dev stage whose command runs the tests gets a gate. The
production image (a stage named prod, production, release, runtime, service or final, else the
default target without test dependencies) is gated by every gate, and checked: its program must be
on PATH and executable. Poetry, uv and Pipenv installs are installed from their lock with pip (as
init does), and poetry run X, uv run X and pipenv run X become X.

Each finding is printed as "detected:", "guessed:", "converted:" or "warning:" (an instruction
without an equivalent, with its Dockerfile line). Nothing is overwritten without --force; --dry-run
prints the pipeline on stdout and writes nothing.`,
		Example: `  stagebuild import
  stagebuild import services/orders -f services/orders/Dockerfile.prod --dry-run`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usage(fmt.Errorf("import takes at most one DIR argument, got %d (%s)", len(args), strings.Join(args, " ")))
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
			return importError(dockerimport.Run(*o, s.Out, s.Err))
		},
	}
	cmd.Flags().StringVarP(&o.Dockerfile, "file", "f", "", "the Dockerfile to import (default: DIR/Dockerfile)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite an existing stagebuild.yaml and generated requirements files")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "print the pipeline to stdout (findings to stderr) and write nothing")
	return cmd
}

// importError makes a Dockerfile import cannot read a usage error.
func importError(err error) error {
	var ie *dockerimport.Error
	if errors.As(err, &ie) {
		return usage(err)
	}
	return err
}
