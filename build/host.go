package build

import (
	"maps"
	"time"

	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/llbgen"
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

// apply puts the host config where the rest of the build reads it: the CA
// bundle among the internal secrets, the epoch on every output.
func (h HostConfig) apply(o Options) Options {
	if len(h.CABundle) > 0 {
		secrets := maps.Clone(o.InternalSecrets)
		if secrets == nil {
			secrets = map[string][]byte{}
		}
		secrets[llbgen.CASecretID] = h.CABundle
		o.InternalSecrets = secrets
	}
	o.Outputs = withEpoch(o.Outputs, h.SourceDateEpoch)
	return o
}

// hasCA reports whether the steps get a CA bundle.
func (h HostConfig) hasCA() bool { return len(h.CABundle) > 0 }

// proxy is the proxy env for llbgen, nil when there is none.
func (h HostConfig) proxy() *llb.ProxyEnv {
	if h.Proxy == (llb.ProxyEnv{}) {
		return nil
	}
	p := h.Proxy
	return &p
}
