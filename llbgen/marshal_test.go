package llbgen

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"google.golang.org/protobuf/proto"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
)

// The graph's marshalling, which marshals each vertex once for all its
// definitions, gives every definition as llb.State.Marshal does: the same
// ops in the same order and the same metadata. llb's source map lists every
// op with no location; ours leaves them out.
func TestMarshalAsLLBDoes(t *testing.T) {
	svc, _ := servicesGraph(t)
	graphs := map[string]*Graph{
		"seed000":         exampleGraph(t, "service", "localdev"),
		"seed000 nocache": exampleGraphOpts(t, Options{CA: true, RerunTests: true, NoCacheStages: []string{"deps"}}, "service", "localdev"),
		"services":        svc,
		"mounts":          mountsGraph(t, Options{}),
	}
	for name, g := range graphs {
		t.Run(name, func(t *testing.T) {
			var states []llb.State
			for _, s := range g.stages {
				states = append(states, s.State)
				if s.Gate {
					states = append(states, s.Result, s.TestBase)
				}
				if s.Reports != nil {
					states = append(states, *s.Reports)
				}
			}
			if len(states) < 2 {
				t.Fatalf("only %d states", len(states))
			}
			for i, st := range states {
				got, want := bothMarshals(t, g, st)
				if !proto.Equal(got, want) {
					t.Errorf("state %d: definition\n%v\nwant\n%v", i, got, want)
				}
			}
		})
	}
}

// bothMarshals is st's definition as g marshals it and as llb's own
// Marshal does, with llb's source map emptied as ours is. llb's lists
// every op with no location; it fails the test if llb gives one.
func bothMarshals(t *testing.T, g *Graph, st llb.State) (got, want *pb.Definition) {
	t.Helper()
	ctx := context.Background()
	ours, err := g.MarshalState(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := st.Marshal(ctx, llb.Platform(g.platform), llb.LocalUniqueID(g.localID))
	if err != nil {
		t.Fatal(err)
	}
	want = theirs.ToPB()
	for dgst, locs := range want.Source.Locations {
		if len(locs.Locations) > 0 {
			t.Fatalf("llb gives source locations for %s", dgst)
		}
	}
	want.Source = &pb.Source{}
	return ours, want
}

// A build marshals its gates' definitions from several goroutines at once;
// each gets what a marshal of its own would give.
func TestMarshalConcurrently(t *testing.T) {
	ctx := context.Background()
	var states []llb.State
	g := exampleGraph(t, "service", "localdev")
	for _, s := range g.stages {
		states = append(states, s.State)
		if s.Gate {
			states = append(states, s.Result)
		}
	}
	want := make([]*pb.Definition, len(states))
	for i, st := range states {
		def, err := exampleGraph(t, "service", "localdev").MarshalState(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = def
	}
	got := make([]*pb.Definition, len(states))
	errs := make(chan error, len(states))
	for i, st := range states {
		go func() {
			def, err := g.MarshalState(ctx, st)
			if err == nil {
				got[i] = def
			}
			errs <- err
		}()
	}
	for range states {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range states {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("state %d: concurrent definition differs", i)
		}
	}
}

// Gates branching off one long chain, marshalled in an order that reuses,
// skips back over and outlives the marshaller's snapshots, each give what
// llb's marshal gives. A stale snapshot would leave ops out or in.
func TestMarshalSnapshotsAsLLBDoes(t *testing.T) {
	g, _ := benchGraph(t)
	var order []string
	for _, n := range []int{3, 0, 1, 2, 9, 8, 40, 39, 30, 20, 10, 11, 12, 98, 5, 1} {
		order = append(order, fmt.Sprintf("t%03d", n))
	}
	order = append(order, "service", "c397", "t097")
	for i, name := range order {
		st := g.Stage(name).State
		if g.Stage(name).Gate {
			st = g.Stage(name).Result
		}
		got, want := bothMarshals(t, g, st)
		if !proto.Equal(got, want) {
			t.Errorf("%d: %s: definition differs from llb's (%d ops, want %d)", i, name, len(got.Def), len(want.Def))
		}
	}
	if len(g.marshaller.snaps) == 0 {
		t.Errorf("no snapshots taken")
	}
}

// Vertices that marshal to one op but ask for different metadata (cache,
// names, descriptions) get one entry merged from both, in either order, as
// llb's marshal gives it; the entries other definitions share are left as
// they were.
func TestMarshalMergesDuplicateOps(t *testing.T) {
	g := &Graph{platform: benchPlatform, localID: "dups"}
	g.marshaller = newMarshaller(llb.NewConstraints(llb.Platform(g.platform), llb.LocalUniqueID(g.localID)), 0)
	base := llb.Image("docker.io/library/busybox:latest")
	mkdir := func() *llb.FileAction { return llb.Mkdir("/x", 0o755) }
	a := base.File(mkdir(), llb.IgnoreCache, llb.WithCustomName("a"))
	b := base.File(mkdir(), llb.WithCustomName("b"), llb.WithDescription(map[string]string{"extra": "b"}))
	states := []llb.State{
		a, b,
		llb.Merge([]llb.State{a, b}),
		llb.Merge([]llb.State{b, a}),
		a, b,
	}
	for i, st := range states {
		got, want := bothMarshals(t, g, st)
		if !proto.Equal(got, want) {
			t.Errorf("state %d: definition\n%v\nwant\n%v", i, got, want)
		}
	}
}

// With two goroutines, the first definition marshals every vertex of the
// build's definitions side by side: the walks after find them all, and
// each definition is still llb's.
func TestMarshalWarmsEveryVertex(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	g, pl := benchGraph(t)
	var roots []llb.State
	for _, ps := range pl.Stages {
		s := g.Stage(ps.Name)
		roots = append(roots, s.State)
		if s.Gate {
			roots = append(roots, s.Result)
		}
	}
	for i, n := range []int{len(roots) - 1, 0, 7, len(roots) / 2} {
		got, want := bothMarshals(t, g, roots[n])
		if !proto.Equal(got, want) {
			t.Errorf("%d: root %d: definition differs from llb's (%d ops, want %d)", i, n, len(got.Def), len(want.Def))
		}
	}
	for _, st := range roots {
		if _, err := g.MarshalState(context.Background(), st); err != nil {
			t.Fatal(err)
		}
	}
	if g.marshaller.warmed == 0 || g.marshaller.warmed != len(g.marshaller.ops) {
		t.Errorf("warmed %d vertices; the definitions have %d", g.marshaller.warmed, len(g.marshaller.ops))
	}
}

// A vertex that does not marshal fails the definitions that hold it, with
// llb's error, whether or not it was marshalled ahead; the others are
// still llb's.
func TestMarshalWarmError(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	g := &Graph{platform: benchPlatform, localID: "warm"}
	g.marshaller = newMarshaller(llb.NewConstraints(llb.Platform(g.platform), llb.LocalUniqueID(g.localID)), 0)
	good := llb.Image("docker.io/library/busybox:latest").File(llb.Mkdir("/x", 0o755))
	bad := good.Run(llb.Args(nil)).Root().File(llb.Mkdir("/y", 0o755))
	above := good.File(llb.Mkdir("/z", 0o755))
	w := g.marshaller.startWarm()
	w.add(bad, above, good)
	w.close()
	_, want := bad.Marshal(context.Background(), llb.Platform(g.platform), llb.LocalUniqueID(g.localID))
	if want == nil {
		t.Fatal("llb marshals an exec without args")
	}
	for i := range 2 {
		if _, err := g.MarshalState(context.Background(), bad); err == nil || err.Error() != want.Error() {
			t.Errorf("%d: error %v, want %v", i, err, want)
		}
	}
	if g.marshaller.warmed != 3 {
		t.Errorf("warmed %d vertices, want the image, mkdir /x and mkdir /z", g.marshaller.warmed)
	}
	for _, st := range []llb.State{above, good} {
		got, want := bothMarshals(t, g, st)
		if !proto.Equal(got, want) {
			t.Errorf("definition\n%v\nwant\n%v", got, want)
		}
	}
}

// benchGraph generates the benchmark's 500-stage pipeline for its service.
func benchGraph(t *testing.T) (*Graph, *plan.Plan) {
	t.Helper()
	p, err := pipeline.Parse("bench.yaml", benchPipelineYAML(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, fstest.MapFS{}, "service")
	g, err := Generate(pl, Options{Platform: benchPlatform, LocalUniqueID: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	return g, pl
}
