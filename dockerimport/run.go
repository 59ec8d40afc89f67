package dockerimport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/stagebuild/stagebuild/internal/atomicfile"

	"github.com/stagebuild/stagebuild/pipeline"
)

// Options are the inputs of `stagebuild import`.
type Options struct {
	// Dir is the build context and where stagebuild.yaml is written.
	Dir string
	// Dockerfile is the file to read; "" means DIR/Dockerfile.
	Dockerfile string
	Force      bool
	DryRun     bool
}

// Run imports the Dockerfile and writes DIR/stagebuild.yaml and the
// generated requirements, printing every note on out (on errOut with
// DryRun, which prints the pipeline on out and writes nothing). Nothing is
// written unless every file can be: an existing file needs Force.
func Run(o Options, out, errOut io.Writer) error {
	if fi, err := os.Stat(o.Dir); err != nil || !fi.IsDir() {
		return &Error{fmt.Sprintf("%s: not a directory (give the build context directory)", o.Dir)}
	}
	df := o.Dockerfile
	if df == "" {
		df = filepath.Join(o.Dir, "Dockerfile")
	}
	data, err := os.ReadFile(df)
	if errors.Is(err, os.ErrNotExist) {
		return &Error{fmt.Sprintf("%s: no such file (give the Dockerfile with -f)", df)}
	}
	if err != nil {
		return err
	}
	res, err := Import(os.DirFS(o.Dir), df, data)
	if err != nil {
		return err
	}
	notes := out
	if o.DryRun {
		notes = errOut
	}
	for _, n := range res.Notes {
		fmt.Fprintln(notes, n)
	}
	files := res.Files()
	if o.DryRun {
		_, err := out.Write(files[0].Data)
		for _, f := range files[1:] {
			fmt.Fprintf(errOut, "would write %s (from %s)\n", filepath.Join(o.Dir, f.Name), res.Lock)
		}
		return err
	}
	for _, f := range files {
		p := filepath.Join(o.Dir, filepath.FromSlash(f.Name))
		if _, err := os.Lstat(p); err == nil && !o.Force {
			return &Error{fmt.Sprintf("%s already exists (pass --force to overwrite it)", p)}
		}
	}
	for _, f := range files {
		p := filepath.Join(o.Dir, filepath.FromSlash(f.Name))
		if err := atomicfile.Write(p, f.Data, 0o755, 0o644); err != nil {
			return err
		}
		if f.Name == pipeline.DefaultFile {
			fmt.Fprintf(out, "wrote %s\n", p)
		} else {
			fmt.Fprintf(out, "wrote %s from %s (commit it; run stagebuild import --force again after changing %s)\n", p, res.Lock, res.Lock)
		}
	}
	target := res.Production
	if target == "" {
		target = "(the default target)"
	}
	fmt.Fprintf(out, "next: stagebuild build %s --target %s -o type=oci,dest=%s.tar\n", o.Dir, target, target)
	return nil
}
