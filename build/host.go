package build

import (
	"maps"

	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/llbgen"
)

// HostConfig is buildflags.HostConfig (the CAs, proxy, SOURCE_DATE_EPOCH
// and provenance request parsed from the flags and the environment) with
// the methods the build reads it through. Convert with HostConfig(h).
type HostConfig buildflags.HostConfig

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
