package llbgen

import (
	"testing"

	"github.com/moby/buildkit/client/llb"
)

// A proxy variable with credentials reaches every exec as a secret env var
// (both cases), named by its id only: its value is not in the LLB, which
// the daemon keeps in its build history (issue 13, item 6).
func TestProxyCredentialsAreSecrets(t *testing.T) {
	proxy := &llb.ProxyEnv{HTTPProxy: "http://p:1", NoProxy: "localhost"}
	g := exampleGraphOpts(t, Options{Proxy: proxy, ProxySecrets: []string{"HTTPS_PROXY"}}, "service", "tests")
	for name, ex := range execsOf(t, g) {
		envs := map[string]string{}
		for _, m := range ex.Secretenv {
			envs[m.Name] = m.ID
		}
		for _, n := range []string{"HTTPS_PROXY", "https_proxy"} {
			if envs[n] != ProxySecretID("HTTPS_PROXY") {
				t.Errorf("%s: no secret env %s (have %v)", name, n, envs)
			}
		}
		if pe := ex.Meta.ProxyEnv; pe == nil || pe.HttpProxy != "http://p:1" || pe.HttpsProxy != "" {
			t.Errorf("%s: proxy env = %+v", name, pe)
		}
	}
}
