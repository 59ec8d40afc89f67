package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/spf13/pflag"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/pipeline"
)

// HostOptions are the build flags about what a build takes from the host:
// trusted CAs and provenance. The proxy settings and SOURCE_DATE_EPOCH come
// from the environment or from --build-arg (BuildOptions.BuildArgs).
type HostOptions struct {
	// CACerts are the --ca-cert values: pipeline.HostCA or PEM files.
	CACerts []string
	// Provenance is the attest:provenance value; "" means none.
	Provenance string
}

type hostFlags struct {
	caCerts    []string
	provenance string
}

func (f *hostFlags) register(fl *pflag.FlagSet) {
	fl.StringArrayVar(&f.caCerts, "ca-cert", nil, `trust the CAs of this PEM file in every build step, never in the image; "host" is the host's bundle ($SSL_CERT_FILE, else `+build.SystemCABundle+"); repeatable")
	fl.StringVar(&f.provenance, "provenance", "", "attach a provenance attestation: mode=min, mode=max, true (mode=min) or false")
}

func (f *hostFlags) options() (HostOptions, error) {
	o := HostOptions{CACerts: f.caCerts}
	var err error
	o.Provenance, err = build.ParseProvenance(f.provenance)
	return o, err
}

// proxyArgs pairs BuildKit's proxy fields with their variable names.
func proxyArgs(p *llb.ProxyEnv) map[string]*string {
	return map[string]*string{"HTTP_PROXY": &p.HTTPProxy, "HTTPS_PROXY": &p.HTTPSProxy,
		"FTP_PROXY": &p.FTPProxy, "NO_PROXY": &p.NoProxy, "ALL_PROXY": &p.AllProxy}
}

// hostConfig gathers what the build takes from the host: the CA bundle of
// the pipeline's ca_certs and --ca-cert, the proxy settings and
// SOURCE_DATE_EPOCH (a --build-arg wins over the environment), and the
// provenance request.
func (o *BuildOptions) hostConfig(p *pipeline.Pipeline, getenv func(string) string) (build.HostConfig, error) {
	h := build.HostConfig{Provenance: o.Host.Provenance}
	lookup := func(name string) (string, bool) {
		if v, ok := o.BuildArgs[name]; ok {
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
		t, err := build.ParseSourceDateEpoch(v)
		if err != nil {
			return h, usage(err)
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
	for _, v := range o.Host.CACerts {
		b, err := readCA(v, "", getenv)
		if err != nil {
			return h, usage(fmt.Errorf("--ca-cert %s: %w", v, err))
		}
		bundles = append(bundles, b)
	}
	h.CABundle = build.JoinCABundles(bundles...)
	return h, nil
}

// readCA reads one ca_certs entry or --ca-cert value: the host's bundle, or
// a PEM file (relative to dir).
func readCA(v, dir string, getenv func(string) string) ([]byte, error) {
	path, what := v, ""
	if v == pipeline.HostCA {
		path = build.HostCABundle(getenv)
		what = "the host's bundle "
		if getenv("SSL_CERT_FILE") != "" {
			what = "the host's bundle ($SSL_CERT_FILE) "
		}
	} else if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	b, err := build.ReadCACerts(path)
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
