package llbgen

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/protobuf/proto"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
)

// opsPipeline has a step of every kind llbgen emits, with every copy
// option: chown by name and by id, chmod, excludes, a copy from a stage,
// cache, secret, SSH and bind mounts, and a gate with reports. opsPlan
// adds a shared layer and a generated file, and context excludes.
const opsPipeline = `version: 1
stages:
  base:
    from: python:3.11-slim-bookworm
    workdir: /app
    env: {A: "1", PATH: "/opt/venv/bin:${PATH}"}
    user: app
    copy:
      - {src: app, chown: "app:1000", chmod: "0640", exclude: ["*.pyc", tests]}
      - {src: bin, to: /usr/local/bin/, chown: "1000"}
      - .
    run: pip install -r requirements.txt
    cache: [/root/.cache/pip]
  lib:
    from: base
    copy: [lib]
    secrets: [tok, {id: env, env: TOKEN, optional: true}]
    ssh: true
    mounts: [{from: base, source: /app, target: /src}]
    run: make
  check:
    from: lib
    copy: [tests]
    test: [pytest, -q]
    reports: /reports
  app:
    from: base
    copy:
      - {from: lib, src: /app/lib, to: /app/lib}
    gated_by: [check]
`

// opsPlan is opsPipeline's plan with lib's copy in a shared layer, a
// generated file after it and context excludes.
func opsPlan(pl *plan.Plan) {
	pl.Context.Excludes = append(pl.Context.Excludes, "*.log", "build")
	for i := range pl.Stages {
		ps := &pl.Stages[i]
		if ps.Name != "lib" {
			continue
		}
		ps.Steps[0].SharedLayer = true
		ps.Steps = append(ps.Steps[:1:1], append([]plan.Step{{Kind: plan.StepFile, Dest: "etc/x.conf", Content: "x=1\n"}}, ps.Steps[1:]...)...)
	}
}

// opsGraphs generates p's targets twice, with llbgen's own ops and with
// llb's, under opts.
func opsGraphs(t *testing.T, p *pipeline.Pipeline, fsys fstest.MapFS, opts Options, target ...string) (ours, theirs *Graph) {
	t.Helper()
	pl := makePlan(t, p, fsys, target...)
	opsPlan(pl)
	gen := func(llbOps bool) *Graph {
		o := opts
		o.llbOps = llbOps
		g, err := Generate(pl, o)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	return gen(false), gen(true)
}

// everyState lists every state a build (or stagebuild debug) marshals
// from a graph's plan, by name.
func everyState(pl *plan.Plan, g *Graph) map[string]llb.State {
	states := map[string]llb.State{}
	for _, ps := range pl.Stages {
		s := g.Stage(ps.Name)
		states[ps.Name] = s.State
		if s.Gate {
			states[ps.Name+" result"] = s.Result
			states[ps.Name+" test base"] = s.TestBase
		}
		if s.Reports != nil {
			states[ps.Name+" reports"] = *s.Reports
		}
	}
	return states
}

// llbgen's own ops (local.go) give every definition byte for byte as
// llb's own constructors and llb.State.Marshal do: the same ops in the
// same order, the same digests, the same metadata, on pipelines with every
// kind of step and option, under every option of the generator.
func TestOwnOpsAsLLB(t *testing.T) {
	created := time.Unix(1700000000, 0)
	base := ocispecs.Image{Platform: amd64}
	base.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	bases := map[string]BaseImage{"python:3.11-slim-bookworm": {Ref: pinned, Config: base}}
	// A base image whose config lists a variable twice and an entry
	// that sets none: llb's env list keeps the last and gives it "=".
	odd := ocispecs.Image{Platform: amd64}
	odd.Config.Env = []string{"PATH=/usr/bin:/bin", "A=1", "NOVAL", "A=2", "B=x=y"}
	oddBases := map[string]BaseImage{"python:3.11-slim-bookworm": {Ref: pinned, Config: odd}}
	seed, err := pipeline.Load("testdata/seed000.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := pipeline.Parse("stagebuild.yaml", []byte(opsPipeline), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := pipeline.Parse("stagebuild.yaml", []byte(servicesPipeline), nil)
	if err != nil {
		t.Fatal(err)
	}
	bench, err := pipeline.Parse("bench.yaml", benchPipelineYAML(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		p      *pipeline.Pipeline
		fsys   fstest.MapFS
		opts   Options
		target []string
		only   []string // the states compared, when not all
	}{
		{"seed000", seed, seed000Context, Options{Bases: bases, LocalUniqueID: "u1"}, []string{"service", "localdev"}, nil},
		{"seed000 every option", seed, seed000Context, Options{Bases: bases, SharedKeyHint: "/src/x", CA: true,
			Proxy: &llb.ProxyEnv{HTTPSProxy: "http://p:3128"}, ProxySecrets: []string{"ALL_PROXY"}, Created: &created,
			RerunTests: true, NoCacheStages: []string{"deps"}, Pull: true}, []string{"service"}, nil},
		{"seed000 frontend", seed, seed000Context, Options{Bases: bases, SessionID: "sess", CAFile: []byte("pem"), NoCache: true}, []string{"service"}, nil},
		{"every step", ops, fstest.MapFS{}, Options{Bases: bases, LocalUniqueID: "u2"}, []string{"app"}, nil},
		{"every step, odd base env", ops, fstest.MapFS{}, Options{Bases: oddBases, LocalUniqueID: "u4"}, []string{"app"}, nil},
		{"bench, odd base env", bench, fstest.MapFS{}, Options{Bases: oddBases, LocalUniqueID: "u5"}, []string{"service"},
			[]string{"c000", "c001", "c050", "t000 result"}},
		{"every step frontend", ops, fstest.MapFS{}, Options{Bases: bases, SessionID: "s"}, []string{"app"}, nil},
		{"services", svc, fstest.MapFS{}, Options{LocalUniqueID: "u3"}, nil, nil},
		// llb's marshal of each of the bench's thousand states takes
		// seconds: those of the image, and of gates and stages across
		// the chain.
		{"bench", bench, fstest.MapFS{}, Options{Bases: bases, LocalUniqueID: "bench"}, []string{"service"},
			[]string{"service", "t000 result", "t001 test base", "t049 result", "t098 result", "c000", "c200", "c399"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Platform = amd64
			ours, theirs := opsGraphs(t, tc.p, tc.fsys, tc.opts, tc.target...)
			pl := makePlan(t, tc.p, tc.fsys, tc.target...)
			opsPlan(pl)
			a, b := everyState(pl, ours), everyState(pl, theirs)
			if tc.only != nil {
				for name := range a {
					if !slices.Contains(tc.only, name) {
						delete(a, name)
					}
				}
			}
			ctx := context.Background()
			own := map[string]int{}
			for name, st := range a {
				ownOps(st.Output().Vertex(ctx, nil), map[llb.Vertex]bool{}, own)
				got, err := ours.MarshalState(ctx, st)
				if err != nil {
					t.Fatal(err)
				}
				// llb's own marshalling of llb's own ops.
				def, err := b[name].Marshal(ctx, llb.Platform(amd64), llb.LocalUniqueID(theirs.localID))
				if err != nil {
					t.Fatal(err)
				}
				want := def.ToPB()
				want.Source = &pb.Source{}
				if len(got.Def) != len(want.Def) {
					t.Fatalf("%s: %d ops, llb's %d", name, len(got.Def), len(want.Def))
				}
				for i := range got.Def {
					if !bytes.Equal(got.Def[i], want.Def[i]) {
						var g, w pb.Op
						_ = g.UnmarshalVT(got.Def[i])
						_ = w.UnmarshalVT(want.Def[i])
						t.Fatalf("%s: op %d differs:\n%v\nllb's:\n%v", name, i, &g, &w)
					}
				}
				if !proto.Equal(got, want) {
					t.Errorf("%s: metadata differs:\n%v\nllb's:\n%v", name, got.Metadata, want.Metadata)
				}
			}
			if contextCopies(pl) && (own["source"] == 0 || own["copy"] == 0) {
				t.Errorf("llbgen's own ops in the graph: %v", own)
			}
			if plainRuns(pl, tc.opts) && own["run"] == 0 {
				t.Errorf("no run step of llbgen's own in the graph: %v", own)
			}
		})
	}
}

// ownOps counts, by kind, the vertices under v built by llbgen rather
// than llb.
func ownOps(v llb.Vertex, seen map[llb.Vertex]bool, own map[string]int) {
	if seen[v] {
		return
	}
	seen[v] = true
	switch v.(type) {
	case *localSource:
		own["source"]++
	case *copyOp:
		own["copy"]++
	case *runOp:
		own["run"]++
	}
	for _, in := range v.Inputs() {
		ownOps(in.Vertex(context.Background(), nil), seen, own)
	}
}

// contextCopies says whether a plan copies from the build context.
func contextCopies(pl *plan.Plan) bool {
	for _, ps := range pl.Stages {
		for _, s := range ps.Steps {
			if s.Kind == plan.StepCopy && s.From == "" {
				return true
			}
		}
	}
	return false
}

// plainRuns says whether a plan has run steps that runOp makes under
// opts: with no other mount than caches, and no CA or proxy settings.
func plainRuns(pl *plan.Plan, opts Options) bool {
	if len(execOptions(opts)) > 0 {
		return false
	}
	for _, ps := range pl.Stages {
		for _, s := range ps.Steps {
			if s.Kind == plan.StepRun && len(s.Secrets)+len(s.SSH)+len(s.BindMounts) == 0 {
				return true
			}
		}
	}
	return false
}
