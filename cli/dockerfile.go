package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagebuild/stagebuild"
)

// DockerfileOptions are the parsed flags of `stagebuild dockerfile`.
type DockerfileOptions struct {
	File       string
	ContextDir string
	// Targets are the requested stages; none means every stage.
	Targets   []string
	BuildArgs map[string]string
	// Output is a file, or "-" for stdout.
	Output string
	// Command is the command line that regenerates the file.
	Command string
}

func newDockerfileCmd(s Streams, runF func(*DockerfileOptions) error) *cobra.Command {
	var output string
	var bo *BuildOptions
	bc := newBuildCmd(s, func(o *BuildOptions) error { bo = o; return nil })
	cmd := &cobra.Command{
		Use:   "dockerfile [flags] [DIR]",
		Short: "Eject an equivalent multi-stage Dockerfile",
		Long: `Write a multi-stage Dockerfile equivalent to the pipeline, for BuildKit's built-in dockerfile
frontend (no syntax directive, nothing to pull): one stage per pipeline stage, its image config, its
copies, its run steps with their cache mounts, and each gate's test command as a RUN that fails the
build when the tests fail. A gated image mounts its gates in a no-op RUN, so building it with
--target still runs its tests, and nothing of them lands in the image.

With no --target, every stage is written, and the default target comes last. Image checks, the
purity check, test reports and advisory gates have no Dockerfile equivalent; comments say so.`,
		Example: `  stagebuild dockerfile -o Dockerfile
  stagebuild dockerfile examples/python-service --target service -o -`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usage(fmt.Errorf("dockerfile takes at most one DIR argument, got %d (%s)", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := bc.RunE(bc, args); err != nil {
				return err
			}
			if output == "" {
				return usage(fmt.Errorf("-o: give a file, or - for stdout"))
			}
			o := &DockerfileOptions{File: bo.File, ContextDir: bo.ContextDir, Targets: bo.Targets, BuildArgs: bo.BuildArgs, Output: output}
			o.Command = regenerateCommand(args, c.Flags().Lookup("file").Value.String(), o)
			if runF != nil {
				return runF(o)
			}
			return runDockerfile(s, o)
		},
	}
	fl := cmd.Flags()
	for _, name := range []string{"file", "target", "build-arg"} {
		fl.AddFlag(bc.Flags().Lookup(name))
	}
	fl.Lookup("target").Usage = "stage to write, with its bases and gates; repeatable (default: every stage)"
	fl.StringVarP(&output, "output", "o", "-", "write the Dockerfile to this file (- for stdout)")
	return cmd
}

// regenerateCommand is the command line the header shows.
func regenerateCommand(args []string, file string, o *DockerfileOptions) string {
	words := append([]string{"stagebuild", "dockerfile"}, args...)
	if file != "" {
		words = append(words, "-f", file)
	}
	for _, t := range o.Targets {
		words = append(words, "--target", t)
	}
	keys := make([]string, 0, len(o.BuildArgs))
	for k := range o.BuildArgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		words = append(words, "--build-arg", k+"="+o.BuildArgs[k])
	}
	if o.Output != "-" {
		words = append(words, "-o", o.Output)
	}
	for i, w := range words {
		words[i] = shellQuote(w)
	}
	return strings.Join(words, " ")
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+,=-]+$`)

func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func runDockerfile(s Streams, o *DockerfileOptions) error {
	text, err := stagebuild.Dockerfile(stagebuild.DockerfileRequest{
		Project: stagebuild.Project{File: o.File, ContextDir: o.ContextDir, BuildArgs: o.BuildArgs, Log: s.Err},
		Targets: o.Targets, Output: o.Output, Command: o.Command,
	})
	if err != nil {
		return err
	}
	if o.Output == "-" {
		_, err = s.Out.Write(text)
		return err
	}
	return writeFileAtomic(o.Output, text)
}

// writeFileAtomic writes a temporary sibling and renames it into place.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := firstErr(werr, cerr, os.Chmod(f.Name(), 0o644)); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
