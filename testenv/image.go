package testenv

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// imageCreated is the fixed creation time of the images Up builds.
var imageCreated = time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC)

// basePath is the PATH of both images, as in the official ones.
const basePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// imageSpec is a one-layer image Up builds and pushes to the local registry.
type imageSpec struct {
	name   string   // cache file prefix, e.g. "python"
	repo   string   // repository in the local registry, e.g. "library/python"
	tags   []string // the first is pushed, the others tagged
	recipe any      // everything the layer depends on; hashed into the cache key
	config v1.Config
	// build writes the uncompressed rootfs tar to w, using work as scratch space.
	build func(ctx context.Context, p *progress, work string, w io.Writer) error
}

// key is a short stable hash of everything the image depends on.
func (s imageSpec) key() (string, error) {
	b, err := json.Marshal(struct {
		Name, Repo string
		Recipe     any
		Config     v1.Config
		Created    time.Time
	}{s.name, s.repo, s.recipe, s.config, imageCreated})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16], nil
}

// ensureImage makes sure every tag of spec points at the image its recipe
// gives, building the layer only when no cached tar has the recipe's key.
func ensureImage(ctx context.Context, p *progress, state string, spec imageSpec) error {
	key, err := spec.key()
	if err != nil {
		return fmt.Errorf("hashing %s recipe: %w", spec.name, err)
	}
	dir := filepath.Join(state, "testenv", "images")
	layerPath := filepath.Join(dir, spec.name+"-"+key+".tar.gz")
	digestPath := filepath.Join(dir, spec.name+"-"+key+".digest")
	if want, err := os.ReadFile(digestPath); err == nil && tagsAt(ctx, spec, strings.TrimSpace(string(want))) {
		return nil
	}
	if _, err := os.Stat(layerPath); err != nil {
		if err := buildLayer(ctx, p, spec, layerPath); err != nil {
			return fmt.Errorf("building %s base image: %w", spec.name, err)
		}
		pruneCache(p, dir, spec.name, key)
	}
	img, err := imageFrom(layerPath, spec.config)
	if err != nil {
		return fmt.Errorf("assembling %s image: %w", spec.name, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return fmt.Errorf("assembling %s image: %w", spec.name, err)
	}
	if !tagsAt(ctx, spec, digest.String()) {
		if err := push(ctx, p, spec, img); err != nil {
			return fmt.Errorf("pushing %s image: %w", spec.name, err)
		}
	}
	if err := os.WriteFile(digestPath, []byte(digest.String()+"\n"), 0o644); err != nil {
		return fmt.Errorf("recording %s image digest: %w", spec.name, err)
	}
	return nil
}

// buildLayer runs spec.build into a gzipped tar at path, atomically.
func buildLayer(ctx context.Context, p *progress, spec imageSpec, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	defer f.Close()
	zw := gzip.NewWriter(f)
	if err := spec.build(ctx, p, filepath.Dir(filepath.Dir(path)), zw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// pruneCache removes cached layers of name built from other recipes.
func pruneCache(p *progress, dir, name, key string) {
	old, _ := filepath.Glob(filepath.Join(dir, name+"-*"))
	for _, f := range old {
		if !strings.HasPrefix(filepath.Base(f), name+"-"+key+".") {
			p.logf("removing stale cache %s", f)
			os.Remove(f)
		}
	}
}

// imageFrom assembles the OCI image: one layer, a linux/amd64 config.
func imageFrom(layerPath string, cfg v1.Config) (v1.Image, error) {
	layer, err := tarball.LayerFromFile(layerPath, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	return oneLayerImage(layer, "amd64", cfg)
}

// oneLayerImage is an OCI image of layer with a linux/arch config, dated
// imageCreated.
func oneLayerImage(layer v1.Layer, arch string, cfg v1.Config) (v1.Image, error) {
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: arch,
		OS:           "linux",
		Created:      v1.Time{Time: imageCreated},
		Config:       cfg,
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: imageCreated}, CreatedBy: "stagebuild testenv"},
	})
}

// tagsAt reports whether every tag of spec resolves to digest.
func tagsAt(ctx context.Context, spec imageSpec, digest string) bool {
	for _, tag := range spec.tags {
		ref, err := name.NewTag(RegistryAddr+"/"+spec.repo+":"+tag, name.Insecure)
		if err != nil {
			return false
		}
		desc, err := remote.Head(ref, remote.WithContext(ctx))
		if err != nil || desc.Digest.String() != digest {
			return false
		}
	}
	return true
}

// push writes img under the first tag and tags it with the others.
func push(ctx context.Context, p *progress, spec imageSpec, img v1.Image) error {
	for i, tag := range spec.tags {
		ref, err := name.NewTag(RegistryAddr+"/"+spec.repo+":"+tag, name.Insecure)
		if err != nil {
			return err
		}
		if i == 0 {
			p.logf("pushing %s", ref)
			err = remote.Write(ref, img, remote.WithContext(ctx))
		} else {
			err = remote.Tag(ref, img, remote.WithContext(ctx))
		}
		if err != nil {
			return err
		}
	}
	return nil
}
