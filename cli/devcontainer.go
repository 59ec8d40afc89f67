package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild"
	"github.com/stagebuild/stagebuild/initgen"
)

// DevcontainerOptions are the parsed flags of `stagebuild devcontainer`.
type DevcontainerOptions struct {
	Dir   string
	Image string
	Force bool
}

func newDevcontainerCmd(s Streams, runF func(*DevcontainerOptions) error) *cobra.Command {
	o := &DevcontainerOptions{}
	cmd := &cobra.Command{
		Use:   "devcontainer [DIR]",
		Short: "Write .devcontainer/devcontainer.json for the localdev image",
		Long: `Write DIR/.devcontainer/devcontainer.json (DIR defaults to the current directory) for VS Code and
other dev container tools. It runs the localdev image of DIR/stagebuild.yaml (the code, the tests and
the test deps), mounts the project at the stage's workdir, and points the Python extension at the
stage's virtualenv interpreter (VIRTUAL_ENV/bin/python, /opt/venv/bin/python for stagebuild init's
pipelines). The image must exist in the local Docker engine: build and load it first (the command
prints how). An existing devcontainer.json is never overwritten without --force.`,
		Example: `  stagebuild devcontainer
  stagebuild devcontainer services/orders --image orders:dev`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usage(fmt.Errorf("devcontainer takes at most one DIR argument, got %d (%s)", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		ValidArgsFunction: completeDirs,
		RunE: func(c *cobra.Command, args []string) error {
			o.Dir = "."
			if len(args) == 1 {
				o.Dir = args[0]
			}
			if o.Image == "" {
				abs, err := filepath.Abs(o.Dir)
				if err != nil {
					return usage(err)
				}
				o.Image = initgen.ImageName(abs)
			} else if _, err := reference.ParseNormalizedNamed(o.Image); err != nil {
				return usage(fmt.Errorf("--image %q: not an image reference (write --image name:tag)", o.Image))
			}
			if runF != nil {
				return runF(o)
			}
			return runDevcontainer(s, o)
		},
	}
	cmd.Flags().StringVar(&o.Image, "image", "", "the localdev image name (default <dir-name>:localdev)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite an existing devcontainer.json")
	return cmd
}

func runDevcontainer(s Streams, o *DevcontainerOptions) error {
	dc, out, err := stagebuild.Devcontainer(stagebuild.DevcontainerRequest{Dir: o.Dir, Image: o.Image, Force: o.Force})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "wrote %s (image %s, interpreter %s)\n", out, dc.Image, dc.Python)
	fmt.Fprintf(s.Out, "build the image and load it into Docker first:\n")
	fmt.Fprintf(s.Out, "  stagebuild build %s --target localdev -o type=docker,dest=localdev.tar,name=%s\n", o.Dir, dc.Image)
	fmt.Fprintf(s.Out, "  docker load -i localdev.tar\n")
	fmt.Fprintf(s.Out, "(once stagebuild build has --load, it does both in one step)\n")
	return nil
}
