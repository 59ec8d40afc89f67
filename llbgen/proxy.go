package llbgen

import (
	"strings"

	"github.com/moby/buildkit/client/llb"
)

// ProxySecretID names, among the session's secrets, a proxy variable whose
// value carries credentials (http://user:secret@proxy:3128).
func ProxySecretID(name string) string { return "stagebuild-proxy-" + name }

// proxySecretOptions mount each credential-bearing proxy variable as a
// secret env var, in both cases, instead of BuildKit's proxy env: an
// ExecOp's proxy env is part of the LLB, and the daemon keeps the LLB in
// its build history (the provenance it records for every build), where
// anyone who can reach the daemon reads it. A secret is only its id there.
func proxySecretOptions(names []string) []llb.RunOption {
	var ro []llb.RunOption
	for _, n := range names {
		for _, env := range []string{strings.ToUpper(n), strings.ToLower(n)} {
			ro = append(ro, llb.AddSecretWithDest(ProxySecretID(n), nil, llb.SecretAsEnvName(env)))
		}
	}
	return ro
}

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
	ro := append(caOptions(opts), proxyOptions(opts.Proxy)...)
	return append(ro, proxySecretOptions(opts.ProxySecrets)...)
}
