package llbgen

import (
	"github.com/moby/buildkit/client/llb"
)

// proxyOptions hands the proxy settings to one exec as BuildKit's proxy
// env, which the solver leaves out of the cache key and which never reaches
// the image config: as docker's predefined HTTP_PROXY and friends, a new
// proxy value reruns nothing. BuildKit sets each variable in both cases.
func proxyOptions(p *llb.ProxyEnv) []llb.RunOption {
	if p == nil || *p == (llb.ProxyEnv{}) {
		return nil
	}
	return []llb.RunOption{llb.WithProxy(*p)}
}

// execOptions are what every run step, test and command check gets from the
// host beyond the plan: the trusted CAs and the proxy settings.
func execOptions(opts Options) []llb.RunOption {
	return append(caOptions(opts.CA), proxyOptions(opts.Proxy)...)
}
