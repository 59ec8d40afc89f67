package build

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	cerrdefs "github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// A tar output (type=oci or docker) that stagebuild wrote before, and that
// is unchanged since (state.Written), already holds most of the next
// image's blobs: the base image's layers, the dependency layers. Sending
// them again through the session is most of a source edit's export time
// (an 80 MB tar takes the daemon 0.8 s to stream). So such an output is
// exported into a content store instead (the exporter's tar=false mode):
// the daemon asks the store for each blob, the store says the ones the old
// tar holds already exist, and only the new ones cross the session. The
// client then writes the new tar itself, with the containerd archive writer
// and options of BuildKit v0.28.1's exporter (so, with that daemon, the
// bytes are the ones it would have sent), taking old blobs from the old
// tar, and checking every blob's digest as it copies it.

// reuseStore is the content store of one such export: the blobs of the
// previous tar at dest, read in place, and a temporary local store beside
// dest for the blobs the daemon sends.
type reuseStore struct {
	content.Store // the new blobs: a local store in dir
	dir           string
	old           *os.File
	blobs         map[digest.Digest]tarBlob

	// close waits for the session's writers still open (a write
	// committing as a cancelled build ends) before it removes dir.
	mu      sync.Mutex
	closed  bool
	writers sync.WaitGroup
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
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("content %s: the export is over", wo.Desc.Digest)
	}
	s.writers.Add(1)
	s.mu.Unlock()
	w, err := s.Store.Writer(ctx, opts...)
	if err != nil {
		s.writers.Done()
		return nil, err
	}
	return &storeWriter{Writer: w, done: s.writers.Done}, nil
}

// storeWriter tells the store when the session is done with a writer.
type storeWriter struct {
	content.Writer
	once sync.Once
	done func()
}

func (w *storeWriter) Close() error {
	err := w.Writer.Close()
	w.once.Do(w.done)
	return err
}

// close releases the old tar and removes the temporary store, once the
// writers still open are closed (at most a few seconds: a write that
// never ends must not hang the build's exit).
func (s *reuseStore) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	idle := make(chan struct{})
	go func() { s.writers.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-time.After(5 * time.Second):
	}
	s.old.Close()
	os.RemoveAll(s.dir)
	untrack(s.dir)
}
