package cli

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild/pipeline"
)

// Shell completion: cobra's default `completion` command (bash, zsh, fish,
// powershell) is on; these functions add the dynamic parts.

// registerTargetCompletion completes --target with the stage names of the
// pipeline the command would read: -f FILE, else DIR/stagebuild.yaml,
// else ./stagebuild.yaml. Commands that share the build command's --target
// flag (plan) get the same completion.
func registerTargetCompletion(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("target", completeTargets)
}

func completeTargets(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	file, _ := c.Flags().GetString("file")
	if file == "" {
		dir := "."
		if len(args) > 0 {
			dir = args[0]
		}
		file = filepath.Join(dir, pipeline.DefaultFile)
	}
	p, err := pipeline.Load(file, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	chosen, _ := c.Flags().GetStringArray("target")
	var out []string
	for _, s := range p.Stages {
		if !strings.HasPrefix(s.Name, toComplete) || slices.Contains(chosen, s.Name) {
			continue
		}
		out = append(out, s.Name+"\t"+stageSummary(s))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// stageSummary is the description shown beside a completed stage name.
func stageSummary(s *pipeline.Stage) string {
	if s.IsGate() {
		return "gate"
	}
	if len(s.GatedBy) == 0 {
		return "image"
	}
	gates := make([]string, len(s.GatedBy))
	for i, g := range s.GatedBy {
		gates[i] = g.Value
	}
	return "image, gated by " + strings.Join(gates, ", ")
}

// completeDirs completes a DIR argument with directories only.
func completeDirs(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveFilterDirs
}
