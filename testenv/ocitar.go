package testenv

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// OCIImage is an image read from an OCI image-layout tar.
type OCIImage struct {
	Manifest ocispec.Manifest
	Config   ocispec.Image
	// Files holds every path in the image's filesystem ("/app/app.py",
	// "/app"), layers applied in order with their whiteouts.
	Files map[string]bool
}

// ReadOCITar reads an OCI image-layout tar, as BuildKit's type=oci exporter
// writes it. When index.json names several images it takes linux/amd64
// (or the only non-attestation manifest).
func ReadOCITar(file string) (*OCIImage, error) {
	img := &OCIImage{Files: map[string]bool{}}
	var index ocispec.Index
	if err := readJSON(file, "index.json", &index); err != nil {
		return nil, fmt.Errorf("reading OCI tar %s: %w", file, err)
	}
	desc, err := pickManifest(file, index)
	if err != nil {
		return nil, fmt.Errorf("reading OCI tar %s: %w", file, err)
	}
	if err := readJSON(file, blobPath(desc), &img.Manifest); err != nil {
		return nil, fmt.Errorf("reading OCI tar %s: manifest: %w", file, err)
	}
	if err := readJSON(file, blobPath(img.Manifest.Config), &img.Config); err != nil {
		return nil, fmt.Errorf("reading OCI tar %s: config: %w", file, err)
	}
	for _, layer := range img.Manifest.Layers {
		err := withEntry(file, blobPath(layer), func(r io.Reader) error { return applyLayer(img.Files, r) })
		if err != nil {
			return nil, fmt.Errorf("reading OCI tar %s: layer %s: %w", file, layer.Digest, err)
		}
	}
	return img, nil
}

// pickManifest follows nested indexes down to one image manifest.
func pickManifest(file string, index ocispec.Index) (ocispec.Descriptor, error) {
	var found []ocispec.Descriptor
	for _, d := range index.Manifests {
		switch {
		case d.MediaType == ocispec.MediaTypeImageIndex || d.MediaType == "application/vnd.docker.distribution.manifest.list.v2+json":
			var sub ocispec.Index
			if err := readJSON(file, blobPath(d), &sub); err != nil {
				return d, err
			}
			m, err := pickManifest(file, sub)
			if err != nil {
				return d, err
			}
			found = append(found, m)
		case d.Annotations["vnd.docker.reference.type"] == "attestation-manifest":
		case d.Platform == nil || (d.Platform.OS == "linux" && d.Platform.Architecture == "amd64"):
			found = append(found, d)
		}
	}
	if len(found) == 0 {
		return ocispec.Descriptor{}, errors.New("no linux/amd64 image manifest in index")
	}
	return found[0], nil
}

func blobPath(d ocispec.Descriptor) string {
	return "blobs/" + d.Digest.Algorithm().String() + "/" + d.Digest.Encoded()
}

func readJSON(file, name string, v any) error {
	return withEntry(file, name, func(r io.Reader) error { return json.NewDecoder(r).Decode(v) })
}

// withEntry calls fn with the contents of the tar entry called name.
func withEntry(file, name string, fn func(io.Reader) error) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f) // *os.File seeks past the entries it skips
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%s not found", name)
		}
		if err != nil {
			return err
		}
		if path.Clean(h.Name) == name {
			return fn(tr)
		}
	}
}

// applyLayer applies a (gzipped or plain) layer tar to files: whiteouts
// first, against the lower layers, then the layer's own entries.
func applyLayer(files map[string]bool, r io.Reader) error {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	var entries []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		entries = append(entries, path.Join("/", h.Name))
	}
	for _, p := range entries {
		dir, base := path.Split(p)
		switch {
		case base == ".wh..wh..opq":
			removeTree(files, path.Clean(dir), false)
		case strings.HasPrefix(base, ".wh."):
			removeTree(files, path.Join(dir, strings.TrimPrefix(base, ".wh.")), true)
		}
	}
	for _, p := range entries {
		if strings.HasPrefix(path.Base(p), ".wh.") {
			continue
		}
		for ; p != "/" && !files[p]; p = path.Dir(p) {
			files[p] = true
		}
	}
	return nil
}

// removeTree deletes everything below dir, and dir itself when self is set.
func removeTree(files map[string]bool, dir string, self bool) {
	if self {
		delete(files, dir)
	}
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range files {
		if strings.HasPrefix(p, prefix) {
			delete(files, p)
		}
	}
}
