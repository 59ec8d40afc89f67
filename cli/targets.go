package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild"
	"github.com/stagebuild/stagebuild/pipeline"
)

// TargetsOptions are the parsed flags of `stagebuild targets`.
type TargetsOptions struct {
	File   string
	Format string
}

func newTargetsCmd(s Streams, runF func(*TargetsOptions) error) *cobra.Command {
	o := &TargetsOptions{}
	cmd := &cobra.Command{
		Use:   "targets [DIR]",
		Short: "List the stages and the gates that guard each image",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usage(fmt.Errorf("targets takes at most one DIR argument, got %d", len(args)))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if o.File == "" {
				dir := "."
				if len(args) == 1 {
					dir = args[0]
				}
				o.File = filepath.Join(dir, pipeline.DefaultFile)
			}
			if o.Format != "text" && o.Format != "json" {
				return usage(fmt.Errorf("--format %q: must be text or json", o.Format))
			}
			if runF != nil {
				return runF(o)
			}
			return runTargets(s, o)
		},
	}
	cmd.Flags().StringVarP(&o.File, "file", "f", "", "pipeline file (default DIR/stagebuild.yaml)")
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text or json")
	return cmd
}

func runTargets(s Streams, o *TargetsOptions) error {
	desc, err := stagebuild.Targets(o.File)
	if err != nil {
		return err
	}
	if o.Format == "json" {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(desc)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tKIND\tFROM\tGATED BY")
	for _, d := range desc {
		name := d.Stage
		if d.Default {
			name += " (default)"
		}
		gated := "-"
		if len(d.GatedBy) > 0 {
			gated = strings.Join(d.GatedBy, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, d.Kind, d.From, gated)
	}
	return tw.Flush()
}
