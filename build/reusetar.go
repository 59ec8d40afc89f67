package build

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/state"
)

// How an export takes its blobs from the tar at dest (reuse.go): the
// switch to a store, and the tar written after the solve.

// archiveOpts are the archive writer's options for the exported image, as
// BuildKit's exporter of type typ passes them: md is the exporter's
// response (its descriptor and names).
func archiveOpts(typ string, md map[string]string) ([]archive.ExportOpt, error) {
	raw, err := base64.StdEncoding.DecodeString(md[exptypes.ExporterImageDescriptorKey])
	var desc ocispecs.Descriptor
	if err != nil || json.Unmarshal(raw, &desc) != nil || desc.Digest == "" {
		return nil, errors.New("the exporter's response has no image descriptor")
	}
	var names []string
	if n := md[exptypes.ExporterImageNameKey]; n != "" {
		names = strings.Split(n, ",")
	}
	opts := []archive.ExportOpt{archive.WithManifest(desc, names...)}
	if typ == client.ExporterOCI {
		opts = append(opts, archive.WithAllPlatforms(), archive.WithSkipDockerManifest())
	}
	return opts, nil
}

// sectionReader is a blob read in place from the old tar.
type sectionReader struct{ *io.SectionReader }

func (sectionReader) Close() error { return nil }

// Reader is what content.NewReader hands the archive writer's io.Copy: a
// reader that writes itself out in 1 MiB reads rather than io.Copy's 32 KiB
// (an 80 MB layer in 80 reads and writes, not 2,500).
func (r sectionReader) Reader() io.Reader {
	return bigChunks{io.NewSectionReader(r.SectionReader, 0, r.Size())}
}

type bigChunks struct{ io.Reader }

func (b bigChunks) WriteTo(w io.Writer) (int64, error) {
	return io.CopyBuffer(w, struct{ io.Reader }{b.Reader}, make([]byte, 1<<20))
}

// reuseOld switches the export of o, a tar output whose dest holds a tar
// stagebuild wrote and nobody changed since, to the store mode above. It
// leaves e as it is for any other output, or when that tar is unreadable.
// A solve has one such store, so the caller asks only for a target's sole
// output.
func (p *pending) reuseOld(e *client.ExportEntry, o buildflags.Output) {
	if p == nil || p.dir || o.Load || (e.Type != client.ExporterOCI && e.Type != client.ExporterDocker) {
		return
	}
	if t := o.Attrs["tar"]; t != "" && t != "true" {
		return
	}
	if !state.Written(p.dest) {
		return
	}
	rs := openReuse(p.dest)
	if rs == nil {
		return
	}
	e.Output = nil
	e.OutputStore = rs
	e.Attrs["tar"] = "false"
	p.reuse, p.out = rs, o
	track(rs.dir)
}

// finish writes the new tar into p.tmp after the solve, from the old tar
// and the blobs the daemon sent, unless the output is unchanged (md has
// the same manifest as the recorded one): then, as in tar mode, nothing is
// written.
func (s *reuseStore) finish(ctx context.Context, p *pending, md map[string]string) error {
	defer s.close()
	f := p.file
	if p.unchanged.check(p.out, p.dest, md) {
		return f.Close()
	}
	opts, err := archiveOpts(p.out.Type, md)
	if err != nil {
		f.Close()
		return err
	}
	w := &fileWriter{f: f}
	err = archive.Export(ctx, s, w, opts...)
	if cerr := f.Close(); err == nil && cerr != nil {
		w.err = cerr
	}
	switch {
	case w.err != nil: // the new file: a full disk, say
		return w.err
	case err != nil:
		// What was read, from the old tar or the daemon's blobs, is not
		// what its digest says: the next build must not trust that tar.
		_ = state.RecordOutput(p.dest, "")
		return fmt.Errorf("assembling it from the blobs of the tar already there: %w; build again: the daemon will send the whole image", err)
	}
	return nil
}

// fileWriter keeps the first error writing the new tar, to tell it from
// one reading the blobs.
type fileWriter struct {
	f   *os.File
	err error
}

func (w *fileWriter) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}
