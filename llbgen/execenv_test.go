package llbgen

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// execEnvOneByOne is execEnv as it was first written: each variable set
// anew deleted from the list, then appended, one at a time.
func execEnvOneByOne(parentExec []string, parent, cfg ocispecs.Image) []string {
	had := map[string]bool{}
	for _, kv := range parent.Config.Env {
		had[kv] = true
	}
	out := slices.Clone(parentExec)
	for _, kv := range cfg.Config.Env {
		if had[kv] {
			continue
		}
		k, _, _ := strings.Cut(kv, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, k+"=") })
		out = append(out, kv)
	}
	return out
}

// execEnv gives what setting each variable one at a time gives, on
// random envs with redefined, repeated, empty and unchanged variables.
func TestExecEnvOneByOne(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	env := func(n int) []string {
		var e []string
		for range n {
			e = append(e, fmt.Sprintf("K%d=%d", r.Intn(8), r.Intn(3)))
		}
		if r.Intn(4) == 0 {
			e = append(e, "", "E=")
		}
		return e
	}
	for i := range 2000 {
		var parent, cfg ocispecs.Image
		parent.Config.Env, cfg.Config.Env = env(r.Intn(6)), env(r.Intn(8))
		parentExec := env(r.Intn(8))
		want := execEnvOneByOne(parentExec, parent, cfg)
		if got := execEnv(parentExec, parent, cfg); !slices.Equal(got, want) {
			t.Fatalf("%d: execEnv(%q, %q, %q) = %q, want %q", i, parentExec, parent.Config.Env, cfg.Config.Env, got, want)
		}
	}
}
