package build

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images/archive"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/state"
)

// testStore is a temporary directory and a local content store in it.
func testStore(t *testing.T) (string, content.Store) {
	t.Helper()
	dir := t.TempDir()
	cs, err := contentlocal.NewStore(filepath.Join(dir, "all"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, cs
}

// testImage puts an image (its layers, config and manifest) into cs and
// returns the manifest's descriptor.
func testImage(t *testing.T, cs content.Store, layers ...[]byte) ocispecs.Descriptor {
	t.Helper()
	ctx := context.Background()
	put := func(mt string, b []byte) ocispecs.Descriptor {
		d := ocispecs.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
		if err := content.WriteBlob(ctx, cs, d.Digest.String(), bytes.NewReader(b), d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	cfg, _ := json.Marshal(ocispecs.Image{Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"}})
	var ls []ocispecs.Descriptor
	for _, l := range layers {
		ls = append(ls, put(ocispecs.MediaTypeImageLayerGzip, l))
	}
	m, _ := json.Marshal(ocispecs.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispecs.MediaTypeImageManifest,
		Config:    put(ocispecs.MediaTypeImageConfig, cfg),
		Layers:    ls,
	})
	d := put(ocispecs.MediaTypeImageManifest, m)
	d.Annotations = map[string]string{ocispecs.AnnotationCreated: "2023-11-14T22:13:20Z"}
	return d
}

func exportTar(t *testing.T, cs content.InfoReaderProvider, desc ocispecs.Descriptor) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := archive.Export(context.Background(), cs, &b, archive.WithManifest(desc), archive.WithAllPlatforms(), archive.WithSkipDockerManifest()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func exporterResponse(desc ocispecs.Descriptor) map[string]string {
	dt, _ := json.Marshal(desc)
	return map[string]string{
		exptypes.ExporterImageDigestKey:     desc.Digest.String(),
		exptypes.ExporterImageDescriptorKey: base64.StdEncoding.EncodeToString(dt),
	}
}

// The store says the old tar's blobs exist, so the daemon sends only the
// others; the tar it writes from both is byte for byte what containerd's
// archive writer (the daemon's exporter's) makes of the whole image.
func TestReuseStoreWritesTheDaemonsTar(t *testing.T) {
	ctx := context.Background()
	dir, all := testStore(t)
	base := bytes.Repeat([]byte("base layer "), 10000)
	old := testImage(t, all, base)
	dest := filepath.Join(dir, "img.tar")
	if err := os.WriteFile(dest, exportTar(t, all, old), 0o644); err != nil {
		t.Fatal(err)
	}

	s := openReuse(dest)
	if s == nil {
		t.Fatal("openReuse: the tar was not indexed")
	}
	defer s.close()
	if len(s.blobs) != 3 {
		t.Fatalf("indexed %d blobs, want 3 (layer, config, manifest)", len(s.blobs))
	}
	baseDigest := digest.FromBytes(base)
	if _, err := s.Writer(ctx, content.WithRef("x"), content.WithDescriptor(ocispecs.Descriptor{Digest: baseDigest, Size: int64(len(base))})); !errors.Is(err, cerrdefs.ErrAlreadyExists) {
		t.Errorf("Writer of a blob in the old tar: %v, want already exists", err)
	}

	// The edited image: the same base layer and a new one on top; the
	// daemon sends the new layer and manifest, the base comes from the old
	// tar.
	next := testImage(t, all, base, []byte("the edited layer"))
	sent := 0
	err := all.Walk(ctx, func(info content.Info) error {
		if _, ok := s.blobs[info.Digest]; ok {
			return nil
		}
		ra, err := all.ReaderAt(ctx, ocispecs.Descriptor{Digest: info.Digest, Size: info.Size})
		if err != nil {
			return err
		}
		defer ra.Close()
		sent++
		return content.WriteBlob(ctx, s, info.Digest.String(), content.NewReader(ra), ocispecs.Descriptor{Digest: info.Digest, Size: info.Size})
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent != 2 { // the config is the same
		t.Fatalf("sent %d new blobs, want 2 (the new layer and manifest)", sent)
	}
	var got bytes.Buffer
	opts, err := archiveOpts("oci", exporterResponse(next))
	if err != nil {
		t.Fatal(err)
	}
	if err := archive.Export(ctx, s, &got, opts...); err != nil {
		t.Fatal(err)
	}
	if want := exportTar(t, all, next); !bytes.Equal(got.Bytes(), want) {
		t.Errorf("the tar written from the old tar's blobs (%d bytes) differs from the archive writer's (%d bytes)", got.Len(), len(want))
	}
}

// A reused blob whose bytes no longer match its digest fails the write
// with the way out, and stagebuild forgets the old tar, so the next build
// has the daemon send the whole image.
func TestReuseStoreCorruptBlob(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", t.TempDir())
	ctx := context.Background()
	dir, all := testStore(t)
	layer := bytes.Repeat([]byte("layer "), 1000)
	desc := testImage(t, all, layer)
	tb := exportTar(t, all, desc)
	at := bytes.Index(tb, layer)
	copy(tb[at:], "CORRUPT")
	dest, s := recordedTar(t, dir, tb)
	f, err := os.CreateTemp(dir, ".img.tar.stagebuild-")
	if err != nil {
		t.Fatal(err)
	}
	p := &pending{dest: dest, tmp: f.Name(), file: f, out: buildflags.Output{Type: "oci", Attrs: map[string]string{"dest": dest}}}
	err = s.finish(ctx, p, exporterResponse(desc))
	want := "assembling it from the blobs of the tar already there: "
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "unexpected digest") ||
		!strings.HasSuffix(err.Error(), "; build again: the daemon will send the whole image") {
		t.Fatalf("finish = %v, want %q…unexpected digest…", err, want)
	}
	if state.Written(dest) {
		t.Error("the corrupt tar is still trusted after the failure")
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Errorf("the temporary store %s is still there: %v", s.dir, err)
	}
}

// A failure writing the new file (a full disk, say) is that error alone:
// the tar already there stays trusted, and the temporary store goes.
func TestReuseStoreWriteError(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", t.TempDir())
	dir, all := testStore(t)
	desc := testImage(t, all, bytes.Repeat([]byte("layer "), 1000))
	dest, s := recordedTar(t, dir, exportTar(t, all, desc))
	tmp := filepath.Join(dir, ".img.tar.stagebuild-1")
	if err := os.WriteFile(tmp, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(tmp) // read-only: every write fails
	if err != nil {
		t.Fatal(err)
	}
	p := &pending{dest: dest, tmp: tmp, file: f, out: buildflags.Output{Type: "oci", Attrs: map[string]string{"dest": dest}}}
	err = s.finish(context.Background(), p, exporterResponse(desc))
	if err == nil || strings.Contains(err.Error(), "build again") || !strings.Contains(err.Error(), "bad file descriptor") {
		t.Fatalf("finish = %v, want the write's own error", err)
	}
	if !state.Written(dest) {
		t.Error("a failed write of the new file made stagebuild forget the good tar")
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Errorf("the temporary store %s is still there: %v", s.dir, err)
	}
}

// recordedTar writes tb to dir/img.tar as a tar stagebuild wrote, and
// opens it for reuse.
func recordedTar(t *testing.T, dir string, tb []byte) (string, *reuseStore) {
	t.Helper()
	dest := filepath.Join(dir, "img.tar")
	if err := os.WriteFile(dest, tb, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := state.RecordOutput(dest, "some-key"); err != nil {
		t.Fatal(err)
	}
	s := openReuse(dest)
	if s == nil {
		t.Fatal("openReuse: the tar was not indexed")
	}
	return dest, s
}
