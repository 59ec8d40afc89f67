package build

import (
	"maps"
	"strings"

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
	if names, values := h.proxySecrets(); len(names) > 0 {
		secrets := maps.Clone(o.InternalSecrets)
		if secrets == nil {
			secrets = map[string][]byte{}
		}
		for i, n := range names {
			secrets[llbgen.ProxySecretID(n)] = []byte(values[i])
		}
		o.InternalSecrets = secrets
	}
	o.Outputs = withEpoch(o.Outputs, h.SourceDateEpoch)
	return o
}

// hasCA reports whether the steps get a CA bundle.
func (h HostConfig) hasCA() bool { return len(h.CABundle) > 0 }

// proxy is the proxy env for llbgen, nil when there is none. A value with
// credentials is left out: it goes to the steps as a secret (proxySecrets).
func (h HostConfig) proxy() *llb.ProxyEnv {
	p := h.Proxy
	for _, f := range proxyFields(&p) {
		if hasCredentials(*f.value) {
			*f.value = ""
		}
	}
	if p == (llb.ProxyEnv{}) {
		return nil
	}
	return &p
}

// proxySecrets are the proxy variables whose values carry credentials, by
// name, and their values.
func (h HostConfig) proxySecrets() (names, values []string) {
	p := h.Proxy
	for _, f := range proxyFields(&p) {
		if hasCredentials(*f.value) {
			names = append(names, f.name)
			values = append(values, *f.value)
		}
	}
	return names, values
}

func (h HostConfig) proxySecretNames() []string {
	names, _ := h.proxySecrets()
	return names
}

type proxyField struct {
	name  string
	value *string
}

func proxyFields(p *llb.ProxyEnv) []proxyField {
	return []proxyField{{"HTTP_PROXY", &p.HTTPProxy}, {"HTTPS_PROXY", &p.HTTPSProxy},
		{"FTP_PROXY", &p.FTPProxy}, {"NO_PROXY", &p.NoProxy}, {"ALL_PROXY", &p.AllProxy}}
}

// hasCredentials reports whether a proxy URL carries a user (and maybe a
// password): http://user:secret@proxy:3128, or user:secret@proxy:3128.
func hasCredentials(v string) bool {
	if i := strings.Index(v, "://"); i >= 0 {
		v = v[i+3:]
	}
	host, _, _ := strings.Cut(v, "/")
	return strings.Contains(host, "@")
}
