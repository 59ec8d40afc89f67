package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// ReferenceHeader starts every file of the generated command reference.
const ReferenceHeader = "<!-- Generated from the cobra command tree by `make docs` (cli/reference.go). Do not edit. -->\n\n"

// Reference renders the command reference: one markdown file per command
// (its usage, description, examples, flags, subcommands and exit codes),
// keyed by file name, as buildx's docs/generate.go does for buildx. The
// flags and exit codes come from the command tree and ExitCodes, so the
// reference cannot drift from `stagebuild --help`.
func Reference() (map[string][]byte, error) {
	root := NewRootCmd(Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	root.InitDefaultCompletionCmd()
	root.DisableAutoGenTag = true
	files := map[string][]byte{}
	var walk func(c *cobra.Command) error
	walk = func(c *cobra.Command) error {
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() && !sub.IsAdditionalHelpTopicCommand() {
				if err := walk(sub); err != nil {
					return err
				}
			}
		}
		c.DisableAutoGenTag = true
		if c.Long != "" {
			// Help text is plain text with its own line breaks: keep it
			// as it reads in a terminal.
			c.Long = "```text\n" + strings.TrimRight(c.Long, "\n") + "\n```"
		}
		var b bytes.Buffer
		b.WriteString(ReferenceHeader)
		if err := doc.GenMarkdownCustom(c, &b, func(s string) string { return s }); err != nil {
			return fmt.Errorf("%s: %w", c.CommandPath(), err)
		}
		b.WriteString("### Exit codes\n\n| code | meaning |\n|---|---|\n")
		for _, e := range ExitCodes() {
			fmt.Fprintf(&b, "| %d | %s |\n", e.Code, e.Meaning)
		}
		files[strings.ReplaceAll(c.CommandPath(), " ", "_")+".md"] = b.Bytes()
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	return files, nil
}

// WriteReference replaces the markdown files in dir with Reference.
func WriteReference(dir string) error {
	files, err := Reference()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if _, keep := files[filepath.Base(f)]; !keep {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
