package testenv

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"path"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ReadOCIPlatformFile reads a multi-platform OCI image-layout tar, as
// BuildKit's type=oci exporter writes an index: for each platform's image
// (attestations left out) the contents of the file at name, from the
// last layer holding it, keyed by platform ("linux/arm64").
func ReadOCIPlatformFile(file, name string) (map[string]string, error) {
	var top ocispec.Index
	if err := readJSON(file, "index.json", &top); err != nil {
		return nil, fmt.Errorf("reading OCI tar %s: %w", file, err)
	}
	var images []ocispec.Descriptor
	var walk func(ocispec.Index) error
	walk = func(idx ocispec.Index) error {
		for _, d := range idx.Manifests {
			switch {
			case d.MediaType == ocispec.MediaTypeImageIndex:
				var sub ocispec.Index
				if err := readJSON(file, blobPath(d), &sub); err != nil {
					return err
				}
				if err := walk(sub); err != nil {
					return err
				}
			case d.Annotations["vnd.docker.reference.type"] == "attestation-manifest":
			case d.Platform != nil:
				images = append(images, d)
			}
		}
		return nil
	}
	if err := walk(top); err != nil {
		return nil, fmt.Errorf("reading OCI tar %s: %w", file, err)
	}
	out := map[string]string{}
	want := path.Clean(name)[1:]
	for _, d := range images {
		var m ocispec.Manifest
		if err := readJSON(file, blobPath(d), &m); err != nil {
			return nil, fmt.Errorf("reading OCI tar %s: manifest: %w", file, err)
		}
		id := platforms.FormatAll(*d.Platform)
		for _, layer := range m.Layers {
			err := withEntry(file, blobPath(layer), func(r io.Reader) error {
				body, ok, err := layerFile(r, want)
				if ok {
					out[id] = body
				}
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("reading OCI tar %s: layer %s: %w", file, layer.Digest, err)
			}
		}
	}
	return out, nil
}

// layerFile is the regular file called name in a (gzipped or plain) layer.
func layerFile(r io.Reader, name string) (string, bool, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", false, err
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		if path.Clean(h.Name) == name && h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			return string(b), err == nil, err
		}
	}
}
