package build

import (
	"testing"

	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/llbgen"
)

// A proxy URL with credentials leaves the proxy env (the LLB) for the
// session's secrets; one without stays (issue 13, item 6).
func TestProxyCredentialsLeaveTheLLB(t *testing.T) {
	h := HostConfig{Proxy: llb.ProxyEnv{HTTPProxy: "http://proxy:3128", HTTPSProxy: "http://user:s3cret@proxy:3128",
		AllProxy: "user:pw@socks:1080", NoProxy: "localhost,.corp"}}
	p := h.proxy()
	if p == nil || p.HTTPProxy != "http://proxy:3128" || p.NoProxy != "localhost,.corp" || p.HTTPSProxy != "" || p.AllProxy != "" {
		t.Errorf("proxy() = %+v", p)
	}
	names := h.proxySecretNames()
	if len(names) != 2 || names[0] != "HTTPS_PROXY" || names[1] != "ALL_PROXY" {
		t.Errorf("secret names = %q", names)
	}
	o := h.apply(Options{})
	if got := string(o.InternalSecrets[llbgen.ProxySecretID("HTTPS_PROXY")]); got != "http://user:s3cret@proxy:3128" {
		t.Errorf("HTTPS_PROXY secret = %q", got)
	}
	if got := string(o.InternalSecrets[llbgen.ProxySecretID("ALL_PROXY")]); got != "user:pw@socks:1080" {
		t.Errorf("ALL_PROXY secret = %q", got)
	}
	for _, v := range []string{"http://proxy:3128", "http://proxy:3128/a@b", "localhost"} {
		if hasCredentials(v) {
			t.Errorf("hasCredentials(%q)", v)
		}
	}
	if (HostConfig{Proxy: llb.ProxyEnv{HTTPSProxy: "http://u:p@x:1"}}).proxy() != nil {
		t.Errorf("a proxy env of credentials only is not nil")
	}
}
