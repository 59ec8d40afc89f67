package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const reproEpoch = 1700000000

// The example's service image, built twice from nothing (two empty daemons,
// two CI machines) with the same SOURCE_DATE_EPOCH, is the same image: the
// same manifest digest. Every file of a tar output carries the epoch.
func TestReproducibleImage(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	var imgs []ociImage
	for i, out := range []string{"a.tar", "b.tar"} {
		env := append(freshDaemonEnv(t), "SOURCE_DATE_EPOCH="+strconv.Itoa(reproEpoch))
		args := []string{"build", "--target", "service", "--progress", "plain", "-o", "type=oci,dest=" + out}
		if i == 0 {
			args = append(args, "-o", "type=tar,dest=fs.tar")
		}
		stagebuildEnv(t, dir, env, args...).mustSucceed(t)
		imgs = append(imgs, readOCIImage(t, filepath.Join(dir, out)))
	}
	a, b := imgs[0], imgs[1]
	t.Logf("manifest digests: %s %s", a.manifest.Digest, b.manifest.Digest)
	if a.manifest.Digest != b.manifest.Digest {
		t.Errorf("two builds with SOURCE_DATE_EPOCH=%d differ: %s vs %s", reproEpoch, a.manifest.Digest, b.manifest.Digest)
		reportDiff(t, a, b)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(a.config, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Created == nil || cfg.Created.Unix() != reproEpoch {
		t.Errorf("config created = %v, want %s", cfg.Created, time.Unix(reproEpoch, 0).UTC())
	}
	for i, h := range cfg.History {
		if h.Created != nil && h.Created.Unix() > reproEpoch && i > 0 {
			t.Errorf("history %d (%s) created %v, after the epoch", i, h.CreatedBy, h.Created)
		}
	}
	assertTarTimes(t, filepath.Join(dir, "fs.tar"))
	assertHashPyc(t, a, "flask")
}

// assertHashPyc fails unless the image's venv holds package pkg compiled:
// a checked-hash .pyc of its __init__ (PEP 552 flags 3), which holds the
// source's hash instead of the time of the install.
func assertHashPyc(t *testing.T, img ociImage, pkg string) {
	t.Helper()
	name := "opt/venv/lib/python3.11/site-packages/" + pkg + "/__pycache__/__init__.cpython-311.pyc"
	b, ok := img.file(name)
	if !ok {
		t.Errorf("the image has no %s: the install compiled nothing", name)
		return
	}
	if len(b) < 16 || binary.LittleEndian.Uint32(b[4:8]) != 3 {
		t.Errorf("%s: flags %x, want 3 (a checked-hash .pyc)", name, b[4:min(len(b), 8)])
	}
}

// file returns the content of the named file in the topmost layer that
// has it.
func (img ociImage) file(name string) ([]byte, bool) {
	for i := len(img.layers) - 1; i >= 0; i-- {
		tr := tar.NewReader(bytes.NewReader(img.layers[i]))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if path.Clean(h.Name) == name {
				b, err := io.ReadAll(tr)
				return b, err == nil
			}
		}
	}
	return nil, false
}

// reportDiff says which layers and config fields differ, to find the step
// that is not reproducible.
func reportDiff(t *testing.T, a, b ociImage) {
	t.Helper()
	if len(a.layers) != len(b.layers) {
		t.Errorf("%d layers vs %d", len(a.layers), len(b.layers))
		return
	}
	for i := range a.layers {
		if string(a.layers[i]) != string(b.layers[i]) {
			t.Errorf("layer %d differs (%d vs %d bytes): %q", i, len(a.layers[i]), len(b.layers[i]), differingEntries(t, a.layers[i], b.layers[i]))
		}
	}
	if string(a.config) != string(b.config) {
		t.Errorf("configs differ:\n%s\n%s", a.config, b.config)
	}
}

// assertTarTimes fails when an entry of a tar output has an mtime other
// than the epoch.
func assertTarTimes(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if h.ModTime.Unix() != reproEpoch {
			t.Errorf("%s: mtime %v, want the epoch", h.Name, h.ModTime)
			return
		}
	}
	if n < 100 {
		t.Errorf("the tar output has %d entries; want a whole filesystem", n)
	}
}

// differingEntries names up to 10 entries whose header or content differs
// between two layer tars.
func differingEntries(t *testing.T, a, b []byte) []string {
	t.Helper()
	index := func(layer []byte) map[string]string {
		out := map[string]string{}
		tr := tar.NewReader(bytes.NewReader(layer))
		for {
			h, err := tr.Next()
			if err != nil {
				return out
			}
			body, _ := io.ReadAll(tr)
			out[h.Name] = fmt.Sprintf("%o %d:%d %s %s %x", h.Mode, h.Uid, h.Gid, h.ModTime.UTC(), h.Linkname, sha256.Sum256(body))
		}
	}
	ia, ib := index(a), index(b)
	var out []string
	for name, va := range ia {
		if ib[name] != va && len(out) < 10 {
			out = append(out, name+": "+va+" vs "+ib[name])
		}
	}
	for name := range ib {
		if _, ok := ia[name]; !ok && len(out) < 10 {
			out = append(out, name+": only in the second")
		}
	}
	return out
}

// ociImage is the image of an OCI layout tar, as bytes: its manifest
// descriptor, its config, each layer uncompressed, and its attestations.
type ociImage struct {
	manifest ocispec.Descriptor
	config   []byte
	layers   [][]byte
	// predicates are the in-toto predicate types of its attestations.
	predicates []string
}

func (img ociImage) layersContain(b []byte) bool {
	for _, l := range img.layers {
		if bytes.Contains(l, b) {
			return true
		}
	}
	return false
}

// readOCIImage reads the linux/amd64 image of an OCI layout tar.
func readOCIImage(t *testing.T, file string) ociImage {
	t.Helper()
	blobs := map[string][]byte{}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if blobs[path.Clean(h.Name)], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	blob := func(d ocispec.Descriptor) []byte {
		b, ok := blobs["blobs/"+d.Digest.Algorithm().String()+"/"+d.Digest.Encoded()]
		if !ok {
			t.Fatalf("%s: no blob %s", file, d.Digest)
		}
		return b
	}
	var index ocispec.Index
	if err := json.Unmarshal(blobs["index.json"], &index); err != nil {
		t.Fatalf("%s: index.json: %v", file, err)
	}
	var img ociImage
	for len(index.Manifests) > 0 && index.Manifests[0].MediaType == ocispec.MediaTypeImageIndex {
		d := index.Manifests[0]
		index = ocispec.Index{}
		if err := json.Unmarshal(blob(d), &index); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range index.Manifests {
		switch {
		case d.Annotations["vnd.docker.reference.type"] == "attestation-manifest":
			var am ocispec.Manifest
			if err := json.Unmarshal(blob(d), &am); err != nil {
				t.Fatal(err)
			}
			for _, l := range am.Layers {
				var stmt struct{ PredicateType string }
				if err := json.Unmarshal(blob(l), &stmt); err != nil {
					t.Fatalf("%s: attestation %s: %v", file, l.Digest, err)
				}
				img.predicates = append(img.predicates, stmt.PredicateType)
			}
		case d.MediaType == ocispec.MediaTypeImageManifest && img.manifest.Digest == "":
			img.manifest = d
		}
	}
	if img.manifest.Digest == "" {
		t.Fatalf("%s: no image manifest in index.json", file)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(blob(img.manifest), &m); err != nil {
		t.Fatal(err)
	}
	img.config = blob(m.Config)
	for _, l := range m.Layers {
		zr, err := gzip.NewReader(bytes.NewReader(blob(l)))
		if err != nil {
			t.Fatalf("layer %s: %v", l.Digest, err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("layer %s: %v", l.Digest, err)
		}
		img.layers = append(img.layers, data)
	}
	return img
}
