package testenv

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ociTar builds an OCI layout tar in memory: blobs plus index.json.
type ociTar struct{ blobs map[string][]byte }

func (o *ociTar) add(mediaType string, b []byte) ocispec.Descriptor {
	d := digest.FromBytes(b)
	o.blobs["blobs/sha256/"+d.Encoded()] = b
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(b))}
}

func (o *ociTar) addJSON(mediaType string, v any) ocispec.Descriptor {
	b, _ := json.Marshal(v)
	return o.add(mediaType, b)
}

func (o *ociTar) write(t *testing.T, index ocispec.Index) string {
	t.Helper()
	o.blobs["index.json"], _ = json.Marshal(index)
	o.blobs["oci-layout"] = []byte(`{"imageLayoutVersion":"1.0.0"}`)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, b := range o.blobs {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	p := filepath.Join(t.TempDir(), "out.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// layer returns a tar of the given names (a trailing slash makes a dir).
func layer(gz bool, names ...string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		typ := byte(tar.TypeReg)
		if n[len(n)-1] == '/' {
			typ = tar.TypeDir
		}
		tw.WriteHeader(&tar.Header{Name: n, Typeflag: typ, Mode: 0o644})
	}
	tw.Close()
	if !gz {
		return buf.Bytes()
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(buf.Bytes())
	zw.Close()
	return z.Bytes()
}

func buildImage(o *ociTar) ocispec.Descriptor {
	cfg := ocispec.Image{Config: ocispec.ImageConfig{Env: []string{"A=1"}, Cmd: []string{"python3"}}}
	cfg.Architecture, cfg.OS = "amd64", "linux"
	m := ocispec.Manifest{
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    o.addJSON(ocispec.MediaTypeImageConfig, cfg),
		Layers: []ocispec.Descriptor{
			o.add(ocispec.MediaTypeImageLayerGzip, layer(true, "app/", "app/app.py", "app/tests/", "app/tests/test_a.py",
				"./usr/lib/python3/site-packages/pytest/__init__.py", "opt/x/a", "opt/x/sub/b", "etc/old")),
			o.add(ocispec.MediaTypeImageLayer, layer(false, "app/.wh.tests", "usr/lib/python3/site-packages/.wh.pytest",
				"opt/x/.wh..wh..opq", "opt/x/c", "etc/.wh.old", "etc/old2")),
		},
	}
	m.SchemaVersion = 2
	return o.addJSON(ocispec.MediaTypeImageManifest, m)
}

func checkImage(t *testing.T, img *OCIImage) {
	t.Helper()
	for p, want := range map[string]bool{
		"/app": true, "/app/app.py": true, "/app/tests": false, "/app/tests/test_a.py": false,
		"/usr/lib/python3/site-packages": true, "/usr/lib/python3/site-packages/pytest": false,
		"/usr/lib/python3/site-packages/pytest/__init__.py": false,
		"/opt/x": true, "/opt/x/a": false, "/opt/x/sub": false, "/opt/x/sub/b": false, "/opt/x/c": true,
		"/etc/old": false, "/etc/old2": true, "/app/.wh.tests": false,
	} {
		if img.Files[p] != want {
			t.Errorf("Files[%q] = %v, want %v", p, img.Files[p], want)
		}
	}
	if img.Config.Architecture != "amd64" || img.Config.Config.Cmd[0] != "python3" || img.Config.Config.Env[0] != "A=1" {
		t.Errorf("config = %+v", img.Config)
	}
	if len(img.Manifest.Layers) != 2 {
		t.Errorf("manifest has %d layers, want 2", len(img.Manifest.Layers))
	}
}

func TestReadOCITarWhiteouts(t *testing.T) {
	o := &ociTar{blobs: map[string][]byte{}}
	m := buildImage(o)
	img, err := ReadOCITar(o.write(t, ocispec.Index{Manifests: []ocispec.Descriptor{m}}))
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img)
}

func TestReadOCITarNestedIndexSkipsAttestations(t *testing.T) {
	o := &ociTar{blobs: map[string][]byte{}}
	m := buildImage(o)
	m.Platform = &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	att := o.addJSON(ocispec.MediaTypeImageManifest, ocispec.Manifest{})
	att.Platform = &ocispec.Platform{OS: "unknown", Architecture: "unknown"}
	att.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest"}
	sub := o.addJSON(ocispec.MediaTypeImageIndex, ocispec.Index{Manifests: []ocispec.Descriptor{att, m}})
	img, err := ReadOCITar(o.write(t, ocispec.Index{Manifests: []ocispec.Descriptor{sub}}))
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, img)
}

func TestReadOCITarErrors(t *testing.T) {
	o := &ociTar{blobs: map[string][]byte{}}
	if _, err := ReadOCITar(o.write(t, ocispec.Index{})); err == nil || !bytes.Contains([]byte(err.Error()), []byte("no linux/amd64 image manifest")) {
		t.Errorf("empty index: err = %v", err)
	}
	if _, err := ReadOCITar(filepath.Join(t.TempDir(), "missing.tar")); err == nil {
		t.Error("missing file: no error")
	}
}
