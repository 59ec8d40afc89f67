package testenv

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// FrontendRepo is the local registry repository of the stagebuild frontend
// image; its tag is the hash of the sources it is built from.
const FrontendRepo = "stagebuild/frontend"

// frontendSkipDirs hold no source of the frontend binary.
var frontendSkipDirs = map[string]bool{".git": true, "bin": true, "integration": true, "testenv": true,
	"bench": true, "tools": true, "docs": true, "examples": true, "testdata": true, "out": true}

// frontendSourceHash hashes every non-test Go file of the module, go.mod and
// go.sum: what the static frontend binary is built from.
func frontendSourceHash(root string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel != "." && (frontendSkipDirs[rel] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if rel != "." {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !(strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go")) && rel != "go.mod" && rel != "go.sum" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hashing the frontend's sources: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// frontendImage is the stagebuild frontend: a static build of
// cmd/stagebuild-frontend, alone in one layer, as its entrypoint.
func frontendImage(root string) (imageSpec, string, error) {
	sum, err := frontendSourceHash(root)
	if err != nil {
		return imageSpec{}, "", err
	}
	spec := imageSpec{
		name:   "frontend",
		repo:   FrontendRepo,
		recipe: struct{ Sources, Build string }{sum, "CGO_ENABLED=0 go build -trimpath ./cmd/stagebuild-frontend"},
		// The caps label is what BuildKit's Dockerfile frontend reads before
		// it forwards a `# syntax=` or BUILDKIT_SYNTAX build (and `--call`).
		config: v1.Config{Entrypoint: []string{"/stagebuild-frontend"}, Env: []string{basePath},
			Labels: map[string]string{"moby.buildkit.frontend.caps": "moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests"}},
		build: func(ctx context.Context, p *progress, work string, w io.Writer) error {
			bin := filepath.Join(work, "stagebuild-frontend.tmp")
			defer os.Remove(bin)
			p.logf("building the frontend image (CGO_ENABLED=0 go build ./cmd/stagebuild-frontend)")
			if err := run(ctx, p.w, root, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-o", bin, "./cmd/stagebuild-frontend"); err != nil {
				return err
			}
			return writeSingleFileTar(w, "stagebuild-frontend", bin)
		},
	}
	key, err := spec.key()
	if err != nil {
		return imageSpec{}, "", err
	}
	spec.tags = []string{key}
	return spec, RegistryAddr + "/" + FrontendRepo + ":" + key, nil
}

// writeSingleFileTar writes a tar holding the file at src as name (0755).
func writeSingleFileTar(w io.Writer, name, src string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(b)), ModTime: imageCreated}); err != nil {
		return err
	}
	if _, err := tw.Write(b); err != nil {
		return err
	}
	return tw.Close()
}
