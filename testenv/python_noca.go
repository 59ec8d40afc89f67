package testenv

import (
	"context"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// PythonNoCATag is the tag of the python image that does NOT trust the
// host's extra CAs: what an official python:3.11-slim-bookworm pulled from
// Docker Hub would be. Behind this machine's TLS-inspecting egress, pip in it
// fails with CERTIFICATE_VERIFY_FAILED unless the build passes the host's CAs
// in (stagebuild build --ca-cert host).
const PythonNoCATag = "3.11-slim-bookworm-noca"

// pythonNoCAImage is library/python:3.11-slim-bookworm-noca: the python
// recipe with no host CAs copied in, so its trust store is Debian's Mozilla
// bundle alone. Its cache files are named noca-python-<key>.*, which the
// python image's stale-cache pruning (python-*) never matches.
func pythonNoCAImage() (imageSpec, error) {
	r, err := newPythonRecipe()
	if err != nil {
		return imageSpec{}, err
	}
	r.CAs = map[string]string{}
	r.Steps = append([]string{"no host CAs: chroot update-ca-certificates with Debian's bundle only"}, r.Steps[1:]...)
	return imageSpec{
		name:   "noca-python",
		repo:   "library/python",
		tags:   []string{PythonNoCATag},
		recipe: r,
		config: v1.Config{Env: []string{basePath, "LANG=C.UTF-8"}, Cmd: []string{"python3"}},
		build: func(ctx context.Context, p *progress, work string, w io.Writer) error {
			return buildPythonRootfs(ctx, p, r, work, w)
		},
	}, nil
}
