package llbgen

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/stagebuild/stagebuild/plan"
)

// execsOf marshals a stage's graph, its gate's result and one command check
// of it, and returns every exec op by name.
func execsOf(t *testing.T, g *Graph) map[string]*pb.ExecOp {
	t.Helper()
	out := map[string]*pb.ExecOp{}
	check := g.CommandCheck("service", plan.CommandCheck{Name: "imports", Args: []string{"python", "-c", "import app"}}, "[service check 1] imports")
	for _, st := range []llb.State{g.Stage("service").State, g.Stage("tests").Result, check} {
		def, err := g.MarshalState(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range load(t, def) {
			if ex := v.op.GetExec(); ex != nil {
				out[v.name] = ex
			}
		}
	}
	for _, want := range []string{"[deps 3/3] RUN pip install -r requirements.txt", "[tests 1/1] TEST pytest -q -p no:cacheprovider tests", "[service check 1] imports"} {
		if out[want] == nil {
			t.Fatalf("no exec %q among %q", want, slices.Sorted(func(yield func(string) bool) {
				for k := range out {
					if !yield(k) {
						return
					}
				}
			}))
		}
	}
	return out
}

func caMount(ex *pb.ExecOp) *pb.Mount {
	for _, m := range ex.Mounts {
		if m.Dest == CAPath {
			return m
		}
	}
	return nil
}

// With a CA bundle, every run step, test and command check mounts it as a
// secret readable by any user, and points each tool at it on the exec alone.
func TestCAMountedIntoEveryExec(t *testing.T) {
	for name, ex := range execsOf(t, exampleGraphOpts(t, Options{CA: true}, "service", "tests")) {
		m := caMount(ex)
		if m == nil || m.MountType != pb.MountType_SECRET || m.SecretOpt.ID != CASecretID || m.SecretOpt.Mode != 0o444 || m.SecretOpt.Optional {
			t.Errorf("%s: CA mount = %+v", name, m)
		}
		for _, k := range CAEnv() {
			if !slices.Contains(ex.Meta.Env, k+"="+CAPath) {
				t.Errorf("%s: env lacks %s=%s: %q", name, k, CAPath, ex.Meta.Env)
			}
		}
	}
	// Without one, nothing of it is in the graph.
	for name, ex := range execsOf(t, exampleGraph(t, "service", "tests")) {
		if m := caMount(ex); m != nil {
			t.Errorf("%s: CA mounted without a bundle: %+v", name, m)
		}
		if env := strings.Join(ex.Meta.Env, " "); strings.Contains(env, CAPath) {
			t.Errorf("%s: CA env without a bundle: %s", name, env)
		}
	}
}

// A frontend's bundle (CAFile) is a read-only file mount of that content
// in every run step, test and command check, with the same env.
func TestCAFileMountedIntoEveryExec(t *testing.T) {
	for name, ex := range execsOf(t, exampleGraphOpts(t, Options{CAFile: []byte("PEM")}, "service", "tests")) {
		m := caMount(ex)
		if m == nil || m.MountType != pb.MountType_BIND || !m.Readonly || m.Selector != "ca.pem" || m.Input < 0 {
			t.Errorf("%s: CA mount = %+v", name, m)
		}
		for _, k := range CAEnv() {
			if !slices.Contains(ex.Meta.Env, k+"="+CAPath) {
				t.Errorf("%s: env lacks %s=%s: %q", name, k, CAPath, ex.Meta.Env)
			}
		}
	}
}

// The exec env does not leak into the stage's config or into later steps'
// state, so no image carries it.
func TestCAAndProxyStayOutOfConfigs(t *testing.T) {
	proxy := &llb.ProxyEnv{HTTPSProxy: "http://127.0.0.1:3128", NoProxy: "localhost"}
	g := exampleGraphOpts(t, Options{CA: true, Proxy: proxy}, "service", "tests", "localdev")
	for _, name := range []string{"deps", "test_deps", "builder", "tests_builder", "tests", "localdev", "service"} {
		s := g.Stage(name)
		cfg, err := json.Marshal(s.Config)
		if err != nil {
			t.Fatal(err)
		}
		env, err := s.State.Env(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		text := string(cfg) + " " + strings.Join(env.ToArray(), " ")
		for _, k := range append([]string{"PROXY", "3128", CAPath}, CAEnv()...) {
			if strings.Contains(strings.ToUpper(text), strings.ToUpper(k)) {
				t.Errorf("stage %s: %q in its config or state env: %s", name, k, text)
			}
		}
	}
}

// The proxy goes into BuildKit's proxy env of every exec, which the solver
// leaves out of the cache key; apart from it the execs are the same as
// without a proxy.
func TestProxyIsExecProxyEnv(t *testing.T) {
	proxy := &llb.ProxyEnv{HTTPProxy: "http://p:1", HTTPSProxy: "http://p:2", NoProxy: "localhost", AllProxy: "socks5://p:3"}
	with := execsOf(t, exampleGraphOpts(t, Options{Proxy: proxy}, "service", "tests"))
	without := execsOf(t, exampleGraph(t, "service", "tests"))
	for name, ex := range with {
		pe := ex.Meta.ProxyEnv
		if pe == nil || pe.HttpProxy != "http://p:1" || pe.HttpsProxy != "http://p:2" || pe.NoProxy != "localhost" || pe.AllProxy != "socks5://p:3" {
			t.Errorf("%s: proxy env = %+v", name, pe)
		}
		if env := strings.Join(ex.Meta.Env, " "); strings.Contains(strings.ToUpper(env), "PROXY") {
			t.Errorf("%s: proxy in the keyed env: %s", name, env)
		}
		other := without[name]
		if other == nil || other.Meta.ProxyEnv != nil {
			t.Fatalf("%s: no proxy-less twin, or it has a proxy: %+v", name, other)
		}
		stripped := ex.Meta.CloneVT()
		stripped.ProxyEnv = nil
		if !stripped.EqualVT(other.Meta) {
			t.Errorf("%s: exec meta differs beyond the proxy:\n%+v\n%+v", name, stripped, other.Meta)
		}
	}
	// An empty proxy setting adds nothing.
	for name, ex := range execsOf(t, exampleGraphOpts(t, Options{Proxy: &llb.ProxyEnv{}}, "service", "tests")) {
		if ex.Meta.ProxyEnv != nil {
			t.Errorf("%s: empty proxy gave %+v", name, ex.Meta.ProxyEnv)
		}
	}
}

// SOURCE_DATE_EPOCH becomes every stage's config creation time.
func TestCreatedFromEpoch(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	g := exampleGraphOpts(t, Options{Created: &epoch}, "service")
	if c := g.Stage("service").Config.Created; c == nil || !c.Equal(epoch) {
		t.Errorf("service created = %v, want %v", c, epoch)
	}
	if c := exampleGraph(t, "service").Stage("service").Config.Created; c != nil {
		t.Errorf("without an epoch, created = %v, want the base's (none)", c)
	}
	// The epoch is config only: the graph is the same.
	a, _ := marshal(t, g, "service")
	b, _ := marshal(t, exampleGraph(t, "service"), "service")
	if da, db := lastDigest(t, a), lastDigest(t, b); da != db {
		t.Errorf("the epoch changed the graph: %s vs %s", da, db)
	}
}

func lastDigest(t *testing.T, def *pb.Definition) digest.Digest {
	t.Helper()
	d, err := OutputDigest(def)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
