package build

import (
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
	p := &pending{dest: abs, tmp: f.Name()}
	e.Output = func(map[string]string) (io.WriteCloser, error) { return f, nil }
	return e, p, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// commit moves a finished output into place.
func (p *pending) commit() error {
	if !p.dir {
		if err := os.Chmod(p.tmp, 0o644); err != nil {
			return err
		}
		return os.Rename(p.tmp, p.dest)
	}
	if err := p.unpack(); err != nil {
		return err
	}
	// A directory output replaces the entries it writes and keeps the rest of
	// an existing destination, as buildx's local exporter does.
	if _, err := os.Stat(p.dest); os.IsNotExist(err) {
		return os.Rename(p.tmp, p.dest)
	}
	entries, err := os.ReadDir(p.tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		target := filepath.Join(p.dest, e.Name())
		if err := os.RemoveAll(target); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(p.tmp, e.Name()), target); err != nil {
			return err
		}
	}
	return os.Remove(p.tmp)
}

func (p *pending) unpack() error {
	f, err := os.Open(p.tarball)
	if err != nil {
		return err
	}
	defer f.Close()
	defer os.Remove(p.tarball)
	return extractTar(f, p.tmp)
}

// discard removes a temporary output after a failed build.
func (p *pending) discard() {
	_ = os.RemoveAll(p.tmp)
	if p.tarball != "" {
		_ = os.Remove(p.tarball)
	}
}
