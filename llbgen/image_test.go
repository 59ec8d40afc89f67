package llbgen

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
)

// No vertex without inputs is shared between two invocations: each base
// image's source op names the invocation (BuildKit ignores the attribute
// and keeps it out of the cache key), and a result directory is made on top
// of the state its exec runs in, not on an empty state. A build joining
// such a vertex of another, still running build finds none of the cache of
// the steps on top of it (issue 13, item 10).
func TestInvocationsShareNoRootVertex(t *testing.T) {
	roots := func(id string) map[string]string {
		g := exampleGraphOpts(t, Options{LocalUniqueID: id}, "service")
		def, err := g.MarshalState(context.Background(), g.Stage("tests").Result)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for d, v := range load(t, def) {
			if len(v.op.Inputs) > 0 {
				continue
			}
			if strings.HasPrefix(v.name, "[internal] result directory") {
				t.Errorf("%s has no inputs: every build on the daemon shares it", v.name)
			}
			if src := v.op.GetSource(); src != nil && strings.HasPrefix(src.Identifier, "docker-image://") {
				if got := src.Attrs[InvocationAttr]; got != id {
					t.Errorf("%s: %s=%q, want %q", v.name, InvocationAttr, got, id)
				}
				if _, ok := src.Attrs[pb.AttrImageResolveMode]; ok {
					t.Errorf("%s: resolve mode set without --pull: %v", v.name, src.Attrs)
				}
			}
			out[v.name] = d.String()
		}
		return out
	}
	a, b := roots("invocation-a"), roots("invocation-b")
	if len(a) == 0 {
		t.Fatal("no root vertices")
	}
	for name, d := range a {
		if b[name] == d {
			t.Errorf("%s is the same vertex in two invocations", name)
		}
	}
}
