package llbgen

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/pipeline"
)

// No vertex without inputs is shared between two invocations: each base
// image's source op names the invocation (BuildKit ignores the attribute
// and keeps it out of the cache key), and a result directory is made on top
// of a step of its stage's chain, not on an empty state. A build joining
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

// A gate's result directory is made on the first step of its chain of
// stages, not on the state its test runs in, nor on the base image every
// project shares: its cache key stays the same when the stage's sources
// change, so it comes from the cache on every build but the first instead
// of running, before the test, on each one. Its owner (the gate) is in its
// key.
func TestResultDirOnFirstStep(t *testing.T) {
	g := exampleGraphOpts(t, Options{LocalUniqueID: "invocation-a"}, "service")
	def, err := g.MarshalState(context.Background(), g.Stage("tests").Result)
	if err != nil {
		t.Fatal(err)
	}
	ops := load(t, def)
	n := 0
	for _, v := range ops {
		if v.name != "[internal] result directory" {
			continue
		}
		n++
		if len(v.op.Inputs) != 1 {
			t.Fatalf("%s has inputs %v", v.name, v.op.Inputs)
		}
		if in := ops[digest.Digest(v.op.Inputs[0].Digest)]; in.name != "[deps 1/3] COPY requirements.txt requirements.txt" {
			t.Errorf("%s is made on %q, want the chain's first step", v.name, in.name)
		}
		var owner string
		for _, a := range v.op.GetFile().Actions {
			if mf := a.GetMkfile(); mf != nil && mf.Path == ownerFile {
				owner = string(mf.Data)
			}
		}
		if want := resultOwner(g.svc.pl.Stage("tests"), "test") + "\n"; owner != want {
			t.Errorf("owner %q, want %q", owner, want)
		}
	}
	if n == 0 {
		t.Fatal("no result directory")
	}
}

// A gate's result directory, and so its test, keeps its cache key when the
// pipeline file is named another way or its lines move: the owner holds no
// pipeline position.
func TestResultDirKeyIgnoresPositions(t *testing.T) {
	src, err := os.ReadFile("testdata/seed000.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ops := func(file string, data []byte) map[string]bool {
		t.Helper()
		p, err := pipeline.Parse(file, data, nil)
		if err != nil {
			t.Fatal(err)
		}
		pl := makePlan(t, p, seed000Context, "service")
		base := ocispecs.Image{Platform: amd64}
		g, err := Generate(pl, Options{Platform: amd64, LocalUniqueID: "invocation-a",
			Bases: map[string]BaseImage{"python:3.11-slim-bookworm": {Ref: pinned, Config: base}}})
		if err != nil {
			t.Fatal(err)
		}
		def, err := g.MarshalState(context.Background(), g.Stage("tests").Result)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, dt := range def.Def {
			out[digest.FromBytes(dt).String()] = true
		}
		return out
	}
	a := ops("testdata/seed000.yaml", src)
	b := ops("./elsewhere/stagebuild.yaml", append([]byte("# moved down two lines\n\n"), src...))
	if len(a) != len(b) {
		t.Fatalf("%d ops against %d", len(a), len(b))
	}
	for d := range a {
		if !b[d] {
			t.Errorf("op %s is not in the moved pipeline's definition: a position reached a cache key", d)
		}
	}
}
