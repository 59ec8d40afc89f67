package buildflags

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/pipeline"
)

// HostConfig is what a build takes from the host it runs on, beyond the
// plan: the CAs its steps trust, the proxy they go through, the source date
// epoch its outputs are stamped with, and whether to attest provenance.
// None of it reaches an image config, and only SourceDateEpoch (through
// the exporters) and Provenance change what is exported.
type HostConfig struct {
	// CABundle is the PEM bundle every run step, test and command check
	// finds at llbgen.CAPath; empty means none. It is a session secret, so
	// its content is in no cache key and no layer.
	CABundle []byte
	// Proxy is every step's HTTP_PROXY, HTTPS_PROXY, NO_PROXY, ALL_PROXY and
	// FTP_PROXY (in both cases), outside the cache key.
	Proxy llb.ProxyEnv
	// SourceDateEpoch, when set, clamps the layer timestamps of every output
	// and is the image config's creation time.
	SourceDateEpoch *time.Time
	// Provenance is the attest:provenance value ("mode=min" or "mode=max");
	// empty means no provenance attestation.
	Provenance string
}

// HostFlags are the build flags about what a build takes from the host:
// trusted CAs and provenance. The proxy settings and SOURCE_DATE_EPOCH come
// from the environment or from --build-arg.
type HostFlags struct {
	// CACerts are the --ca-cert values: pipeline.HostCA or PEM files.
	CACerts []string
	// Provenance is the attest:provenance value (ParseProvenance); ""
	// means none.
	Provenance string
}

// proxyArgs pairs BuildKit's proxy fields with their variable names.
func proxyArgs(p *llb.ProxyEnv) map[string]*string {
	return map[string]*string{"HTTP_PROXY": &p.HTTPProxy, "HTTPS_PROXY": &p.HTTPSProxy,
		"FTP_PROXY": &p.FTPProxy, "NO_PROXY": &p.NoProxy, "ALL_PROXY": &p.AllProxy}
}

// Host gathers what the build takes from the host: the CA bundle of the
// pipeline's ca_certs and --ca-cert, the proxy settings and
// SOURCE_DATE_EPOCH (a build arg wins over the environment), and the
// provenance request. A bad ca_certs entry is a *pipeline.Error; a bad
// flag or SOURCE_DATE_EPOCH a *UsageError.
func Host(f HostFlags, p *pipeline.Pipeline, buildArgs map[string]string, getenv func(string) string) (HostConfig, error) {
	h := HostConfig{Provenance: f.Provenance}
	lookup := func(name string) (string, bool) {
		if v, ok := buildArgs[name]; ok {
			return v, true
		}
		v := getenv(name)
		return v, v != ""
	}
	for name, field := range proxyArgs(&h.Proxy) {
		if v, ok := lookup(name); ok {
			*field = v
		} else if v, ok := lookup(strings.ToLower(name)); ok {
			*field = v
		}
	}
	if v, ok := lookup("SOURCE_DATE_EPOCH"); ok && v != "" {
		t, err := ParseSourceDateEpoch(v)
		if err != nil {
			return h, Usage(err)
		}
		h.SourceDateEpoch = t
	}
	var bundles [][]byte
	for _, v := range p.CACerts {
		b, err := readCA(v.Value, filepath.Dir(p.File), getenv)
		if err != nil {
			return h, &pipeline.Error{Pos: v.Pos, Msg: "ca_certs: " + err.Error()}
		}
		bundles = append(bundles, b)
	}
	for _, v := range f.CACerts {
		b, err := readCA(v, "", getenv)
		if err != nil {
			return h, Usage(fmt.Errorf("--ca-cert %s: %w", v, err))
		}
		bundles = append(bundles, b)
	}
	h.CABundle = JoinCABundles(bundles...)
	return h, nil
}

// readCA reads one ca_certs entry or --ca-cert value: the host's bundle, or
// a PEM file (relative to dir).
func readCA(v, dir string, getenv func(string) string) ([]byte, error) {
	path, what := v, ""
	if v == pipeline.HostCA {
		path = HostCABundle(getenv)
		what = "the host's bundle "
		if getenv("SSL_CERT_FILE") != "" {
			what = "the host's bundle ($SSL_CERT_FILE) "
		}
	} else if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	b, err := ReadCACerts(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && v == pipeline.HostCA:
		return nil, fmt.Errorf("%s%s does not exist (set SSL_CERT_FILE to the host's CA bundle)", what, path)
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file (give the path of a PEM file, or %s)", path, pipeline.HostCA)
	case err != nil && what != "":
		return nil, fmt.Errorf("%s%w", what, err)
	}
	return b, err
}
