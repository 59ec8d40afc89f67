package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/moby/buildkit/client"

	"github.com/stagebuild/stagebuild/buildflags"
)

// pending is an output written to a temporary sibling of its destination and
// moved into place only after the whole build succeeded.
type pending struct {
	dest string
	tmp  string
	dir  bool
	// tarball holds a directory output's tar export until it is unpacked.
	tarball string
	// unchanged and key: see unchanged.go.
	unchanged unchanged
	// reuse is the content store of an export that takes the blobs of the
	// tar stagebuild wrote at dest before (reuse.go); out is its output.
	reuse *reuseStore
	out   buildflags.Output
	file  *os.File // tmp, open, for a file output
}

// exportEntry turns an Output into a BuildKit export. File and directory
// outputs get a temporary destination recorded in *p.
func exportEntry(o buildflags.Output, stdout io.Writer) (client.ExportEntry, *pending, error) {
	e := client.ExportEntry{Type: o.Type, Attrs: map[string]string{}}
	for k, v := range o.Attrs {
		if k != "dest" {
			e.Attrs[k] = v
		}
	}
	dest := o.Dest()
	switch o.Type {
	case client.ExporterImage:
		return e, nil, nil
	case client.ExporterLocal:
		abs, err := filepath.Abs(dest)
		if err != nil {
			return e, nil, err
		}
		// dest itself may be the user's link to a directory: the export
		// goes beside and into its target; below it no link is followed.
		if fi, err := os.Lstat(abs); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			if abs, err = filepath.EvalSymlinks(abs); err != nil {
				return e, nil, fmt.Errorf("output %s: %w", dest, err)
			}
		}
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return e, nil, fmt.Errorf("output %s: %w", dest, err)
		}
		tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".stagebuild-")
		if err != nil {
			return e, nil, fmt.Errorf("output %s: %w", dest, err)
		}
		f, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".stagebuild-*.tar")
		if err != nil {
			os.RemoveAll(tmp)
			return e, nil, fmt.Errorf("output %s: %w", dest, err)
		}
		e.Type = client.ExporterTar
		e.Output = func(map[string]string) (io.WriteCloser, error) { return f, nil }
		track(tmp, f.Name())
		return e, &pending{dest: abs, tmp: tmp, tarball: f.Name(), dir: true}, nil
	}
	if dest == "-" {
		e.Output = func(map[string]string) (io.WriteCloser, error) { return nopCloser{stdout}, nil }
		return e, nil, nil
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return e, nil, err
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return e, nil, fmt.Errorf("output %s is a directory; type=%s writes a file (name a .tar path)", dest, o.Type)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return e, nil, fmt.Errorf("output %s: %w", dest, err)
	}
	f, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".stagebuild-")
	if err != nil {
		return e, nil, fmt.Errorf("output %s: %w", dest, err)
	}
	p := &pending{dest: abs, tmp: f.Name(), file: f}
	e.Output = func(md map[string]string) (io.WriteCloser, error) {
		if p.unchanged.check(o, abs, md) {
			// A nil writer tells the exporter the target already exists:
			// it sends nothing and succeeds.
			f.Close()
			return nil, nil
		}
		return f, nil
	}
	track(p.tmp)
	return e, p, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// commit moves a finished output into place. A directory output is
// unpacked beside dest, then moved over it with BuildKit's local exporter
// semantics (untar.go): directories merge, and entries of an existing dest
// that the export does not name are kept.
func (p *pending) commit(ctx context.Context, md map[string]string) error {
	defer untrack(p.tmp, p.tarball)
	if p.reuse != nil {
		if err := p.reuse.finish(ctx, p, md); err != nil {
			return err
		}
	}
	if p.unchanged.skipped {
		return os.Remove(p.tmp)
	}
	if !p.dir {
		if err := os.Chmod(p.tmp, 0o644); err != nil {
			return err
		}
		if err := os.Rename(p.tmp, p.dest); err != nil {
			return err
		}
		p.unchanged.record(p.dest)
		return nil
	}
	u, err := p.unpack()
	if err != nil {
		return err
	}
	dest := p.dest
	fi, err := os.Lstat(dest)
	switch {
	case os.IsNotExist(err):
		if err := os.Rename(p.tmp, dest); err != nil {
			return err
		}
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("output %s exists and is not a directory; type=local writes a directory", p.dest)
	default:
		if err := mergeDir(p.tmp, dest); err != nil {
			return fmt.Errorf("output %s: %w", p.dest, err)
		}
		_ = os.RemoveAll(p.tmp) // what is left of this run's own tree
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer root.Close()
	return u.finish(root)
}

// mergeDir moves the directory tmp over dest, its sibling or not.
func mergeDir(tmp, dest string) error {
	parent := filepath.Dir(dest)
	if filepath.Dir(tmp) != parent {
		return fmt.Errorf("%s is not beside %s", tmp, dest)
	}
	root, err := os.OpenRoot(parent)
	if err != nil {
		return err
	}
	defer root.Close()
	return mergeInto(root, filepath.Base(tmp), filepath.Base(dest))
}

func (p *pending) unpack() (*unpacked, error) {
	f, err := os.Open(p.tarball)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer os.Remove(p.tarball)
	root, err := os.OpenRoot(p.tmp)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return unpackInto(f, root)
}

// discard removes a temporary output after a failed build.
func (p *pending) discard() {
	defer untrack(p.tmp, p.tarball)
	if p.reuse != nil {
		p.reuse.close()
	}
	if p.file != nil {
		p.file.Close() // a tar export may have closed it already
	}
	_ = os.RemoveAll(p.tmp)
	if p.tarball != "" {
		_ = os.Remove(p.tarball)
	}
}
