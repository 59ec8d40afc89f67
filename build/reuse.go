package build

import (
	"archive/tar"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images/archive"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/state"
)

// A tar output (type=oci or docker) that stagebuild wrote before, and that
// is unchanged since (state.Written), already holds most of the next
// image's blobs: the base image's layers, the dependency layers. Sending
// them again through the session is most of a source edit's export time
// (an 80 MB tar takes the daemon 0.8 s to stream). So such an output is
// exported into a content store instead (the exporter's tar=false mode):
// the daemon asks the store for each blob, the store says the ones the old
// tar holds already exist, and only the new ones cross the session. The
// client then writes the new tar itself, with the same containerd archive
// writer and options the daemon's exporter uses (so the bytes are the
// ones the daemon would have sent), taking old blobs from the old tar, and
// checking every blob's digest as it copies it.

// reuseStore is the content store of one such export: the blobs of the
// previous tar at dest, read in place, and a temporary local store beside
// dest for the blobs the daemon sends.
type reuseStore struct {
	content.Store // the new blobs: a local store in dir
	dir           string
	old           *os.File
	blobs         map[digest.Digest]tarBlob
}

// tarBlob is where a blob's bytes are in the old tar.
type tarBlob struct{ off, size int64 }

// openReuse indexes the tar at abs, which stagebuild wrote; nil when it
// cannot be read as an OCI layout tar (the export then sends a whole tar).
func openReuse(abs string) *reuseStore {
	f, err := os.Open(abs)
	if err != nil {
		return nil
	}
	blobs, err := indexBlobs(f)
	if err != nil || len(blobs) == 0 {
		f.Close()
		return nil
	}
	dir, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".stagebuild-blobs-")
	if err != nil {
		f.Close()
		return nil
	}
	local, err := contentlocal.NewStore(dir)
	if err != nil {
		f.Close()
		os.RemoveAll(dir)
		return nil
	}
	return &reuseStore{Store: local, dir: dir, old: f, blobs: blobs}
}

// indexBlobs reads the tar's headers (seeking past the data) and records
// the offset and size of every blobs/<algorithm>/<encoded> file.
func indexBlobs(f *os.File) (map[digest.Digest]tarBlob, error) {
	blobs := map[digest.Digest]tarBlob{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return blobs, nil
		}
		if err != nil {
			return nil, err
		}
		rest, ok := strings.CutPrefix(h.Name, ocispecs.ImageBlobsDir+"/")
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		alg, enc, ok := strings.Cut(rest, "/")
		d := digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
		if !ok || d.Validate() != nil {
			continue
		}
		// archive/tar reads exactly the header blocks: the file offset is
		// where this entry's data starts.
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		blobs[d] = tarBlob{off: off, size: h.Size}
	}
}

func (s *reuseStore) Info(ctx context.Context, dgst digest.Digest) (content.Info, error) {
	if b, ok := s.blobs[dgst]; ok {
		return content.Info{Digest: dgst, Size: b.size}, nil
	}
	return s.Store.Info(ctx, dgst)
}

func (s *reuseStore) ReaderAt(ctx context.Context, desc ocispecs.Descriptor) (content.ReaderAt, error) {
	if b, ok := s.blobs[desc.Digest]; ok {
		return sectionReader{io.NewSectionReader(s.old, b.off, b.size)}, nil
	}
	return s.Store.ReaderAt(ctx, desc)
}

// Writer says a blob of the old tar already exists, so the daemon does not
// send it.
func (s *reuseStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return nil, err
		}
	}
	if _, ok := s.blobs[wo.Desc.Digest]; ok {
		return nil, fmt.Errorf("content %s: %w", wo.Desc.Digest, cerrdefs.ErrAlreadyExists)
	}
	return s.Store.Writer(ctx, opts...)
}

// close releases the old tar and removes the temporary store.
func (s *reuseStore) close() {
	s.old.Close()
	os.RemoveAll(s.dir)
}

// writeTar writes the exported image's tar to w, as the daemon's exporter
// of type typ would have: md is the exporter's response (its descriptor
// and names).
func (s *reuseStore) writeTar(ctx context.Context, typ string, md map[string]string, w io.Writer) error {
	raw, err := base64.StdEncoding.DecodeString(md[exptypes.ExporterImageDescriptorKey])
	if err != nil {
		return fmt.Errorf("the exporter's descriptor: %w", err)
	}
	var desc ocispecs.Descriptor
	if err := json.Unmarshal(raw, &desc); err != nil || desc.Digest == "" {
		return fmt.Errorf("the exporter gave no image descriptor")
	}
	var names []string
	if n := md[exptypes.ExporterImageNameKey]; n != "" {
		names = strings.Split(n, ",")
	}
	opts := []archive.ExportOpt{archive.WithManifest(desc, names...)}
	if typ == client.ExporterOCI {
		opts = append(opts, archive.WithAllPlatforms(), archive.WithSkipDockerManifest())
	}
	return archive.Export(ctx, s, w, opts...)
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
	defer untrack(s.dir)
	defer s.close()
	f := p.file
	if p.unchanged.check(p.out, p.dest, md) {
		return f.Close()
	}
	if err := s.writeTar(ctx, p.out.Type, md, f); err != nil {
		f.Close()
		// The next build must not trust that tar again.
		_ = state.RecordOutput(p.dest, "")
		return fmt.Errorf("assembling it from the blobs of the tar already there: %w; build again: the daemon will send the whole image", err)
	}
	return f.Close()
}
