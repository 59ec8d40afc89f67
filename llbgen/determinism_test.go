package llbgen

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/pipeline"
)

// tlsPipe is integration/tls_test.go's pipeline.
const tlsPipe = `version: 1
stages:
  deps:
    from: python:3.11-slim-bookworm-noca
    workdir: /app
    env: {PIP_DISABLE_PIP_VERSION_CHECK: "1", PYTHONDONTWRITEBYTECODE: "1"}
    copy: [requirements.txt]
    run: pip install --no-cache-dir -r requirements.txt
  service:
    from: deps
    run:
      - pip install --no-cache-dir uv
      - uv pip install --system --no-cache iniconfig
    cmd: [python, -c, "import six, iniconfig"]
    gated_by: [https]
    checks:
      commands:
        - name: HTTPS works in a check
          run: [python, -c, "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/six/').read()"]
  https:
    from: deps
    test: python -c "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/six/').read()"
`

// The same plan gives the same digests every time it is generated (one of
// the candidates of issue 13 item 10: a map-ordered field in an op would
// make a second build miss the cache now and then).
func TestGenerateDeterministic(t *testing.T) {
	fsys := fstest.MapFS{"requirements.txt": {Data: []byte("six==1.16.0\n")}}
	digests := map[string]map[string]bool{}
	for i := 0; i < 40; i++ {
		p, err := pipeline.Parse("p.yaml", []byte(tlsPipe), nil)
		if err != nil {
			t.Fatal(err)
		}
		pl := makePlan(t, p, fsys, "service")
		base := ocispecs.Image{Platform: amd64}
		base.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
		now := time.Unix(1, 0)
		g, err := Generate(pl, Options{Platform: amd64, CA: true, Proxy: &llb.ProxyEnv{HTTPSProxy: "http://x:1"}, ProxySecrets: []string{"ALL_PROXY"}, Created: &now,
			SharedKeyHint: "/tmp/x", LocalUniqueID: "fixed",
			Bases: map[string]BaseImage{"python:3.11-slim-bookworm-noca": {Ref: pinned, Config: base}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"deps", "service", "https"} {
			for j, st := range []llb.State{g.Stage(name).State, g.Stage(name).Result} {
				if j == 1 && !g.Stage(name).Gate {
					continue
				}
				def, err := g.MarshalState(context.Background(), st)
				if err != nil {
					t.Fatal(err)
				}
				d, _ := OutputDigest(def)
				k := name + string(rune('0'+j))
				if digests[k] == nil {
					digests[k] = map[string]bool{}
				}
				digests[k][d.String()] = true
			}
		}
	}
	for k, ds := range digests {
		if len(ds) != 1 {
			t.Errorf("%s: %d digests", k, len(ds))
		}
	}
}
