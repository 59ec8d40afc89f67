package llbgen

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/pipeline"
)

const pinned = "docker.io/library/python:3.11-slim-bookworm@sha256:0000000000000000000000000000000000000000000000000000000000000001"

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

func exampleGraph(t *testing.T, target ...string) *Graph {
	t.Helper()
	return exampleGraphOpts(t, Options{}, target...)
}

func exampleGraphOpts(t *testing.T, opts Options, target ...string) *Graph {
	t.Helper()
	p, err := pipeline.Load("testdata/seed000.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, seed000Context, target...)
	base := ocispecs.Image{Platform: amd64}
	base.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	base.Config.Cmd = []string{"python3"}
	opts.Platform = amd64
	opts.Bases = map[string]BaseImage{"python:3.11-slim-bookworm": {Ref: pinned, Config: base}}
	g, err := Generate(pl, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// vertex is one op of a marshalled definition with its name.
type vertex struct {
	op   *pb.Op
	name string
}

func load(t *testing.T, def *pb.Definition) map[digest.Digest]vertex {
	t.Helper()
	out := map[digest.Digest]vertex{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(dt)
		out[d] = vertex{op: &op, name: def.Metadata[string(d)].GetDescription()["llb.customname"]}
	}
	return out
}

func marshal(t *testing.T, g *Graph, stage string) (*pb.Definition, map[digest.Digest]vertex) {
	t.Helper()
	def, err := g.Marshal(context.Background(), stage)
	if err != nil {
		t.Fatal(err)
	}
	return def, load(t, def)
}

func names(ops map[digest.Digest]vertex) []string {
	var out []string
	for _, v := range ops {
		if v.name != "" {
			out = append(out, v.name)
		}
	}
	slices.Sort(out)
	return out
}

func TestServiceGraph(t *testing.T) {
	_, ops := marshal(t, exampleGraph(t, "service"), "service")
	want := []string{
		"[builder 1/1] COPY app app",
		"[context] app",
		"[context] docker-entrypoint.sh",
		"[context] requirements.txt",
		"[deps 1/3] COPY requirements.txt requirements.txt",
		"[deps 2/3] RUN python -m venv /opt/venv",
		"[deps 3/3] RUN pip install -r requirements.txt",
		"[deps] FROM python:3.11-slim-bookworm",
		"[layer] COPY app /app/app",
		"[service 1/1] COPY docker-entrypoint.sh docker-entrypoint.sh",
	}
	if got := names(ops); !slices.Equal(got, want) {
		t.Fatalf("vertex names:\n got %q\nwant %q", got, want)
	}
	var sawImage, sawLocal, sawPip, sawReqCopy, sawMerge bool
	for _, v := range ops {
		if v.op.Platform != nil && (v.op.Platform.OS != "linux" || v.op.Platform.Architecture != "amd64") {
			t.Errorf("%s: platform %v", v.name, v.op.Platform)
		}
		switch o := v.op.Op.(type) {
		case *pb.Op_Source:
			switch {
			case o.Source.Identifier == "docker-image://"+pinned:
				sawImage = true
			case o.Source.Identifier == "local://context":
				sawLocal = true
				// One source per copied path: it carries that path only.
				if inc, want := o.Source.Attrs[pb.AttrIncludePatterns], `["`+strings.TrimPrefix(v.name, "[context] ")+`"]`; inc != want {
					t.Errorf("%s: context includes = %s, want %s", v.name, inc, want)
				}
			default:
				t.Errorf("unexpected source %s", o.Source.Identifier)
			}
		case *pb.Op_Exec:
			args := o.Exec.Meta.Args
			if slices.Contains(args, "pytest") || strings.Contains(strings.Join(args, " "), "test_requirements") {
				t.Errorf("service graph runs a test step: %q", args)
			}
			if strings.Join(args, " ") == "/bin/sh -c pip install -r requirements.txt" {
				sawPip = true
				if o.Exec.Meta.Cwd != "/app" {
					t.Errorf("pip cwd = %s", o.Exec.Meta.Cwd)
				}
				if !slices.Contains(o.Exec.Meta.Env, "PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin") {
					t.Errorf("pip env = %q", o.Exec.Meta.Env)
				}
				var cacheMount *pb.Mount
				for _, m := range o.Exec.Mounts {
					if m.MountType == pb.MountType_CACHE {
						cacheMount = m
					}
				}
				if cacheMount == nil || cacheMount.Dest != "/root/.cache/pip" || cacheMount.CacheOpt.ID != "stagebuild:/root/.cache/pip" ||
					cacheMount.CacheOpt.Sharing != pb.CacheSharingOpt_LOCKED {
					t.Errorf("pip cache mount = %+v", cacheMount)
				}
			}
		case *pb.Op_Merge:
			// A shared copy is merged on top of the stage: its base, then the layer.
			if v.name == "[builder 1/1] COPY app app" && len(o.Merge.Inputs) == 2 {
				sawMerge = true
			}
		case *pb.Op_File:
			for _, a := range o.File.Actions {
				cp := a.GetCopy()
				if cp == nil {
					t.Errorf("%s: non-copy file action %T", v.name, a.Action)
					continue
				}
				if !cp.DirCopyContents || !cp.CreateDestPath {
					t.Errorf("%s: copy options %+v", v.name, cp)
				}
				if v.name == "[deps 1/3] COPY requirements.txt requirements.txt" {
					sawReqCopy = true
					if cp.Src != "/requirements.txt" || cp.Dest != "/app/requirements.txt" || len(v.op.Inputs) != 2 {
						t.Errorf("requirements copy %s → %s from %d inputs", cp.Src, cp.Dest, len(v.op.Inputs))
					}
				}
			}
		}
	}
	if !sawImage || !sawLocal || !sawPip || !sawReqCopy || !sawMerge {
		t.Fatalf("missing ops: image=%v local=%v pip=%v requirements copy=%v merge=%v", sawImage, sawLocal, sawPip, sawReqCopy, sawMerge)
	}
}

// A gate's result directory is an output mount of the test exec, which runs
// the test command under the recording wrapper.
func TestGateResultIsTestExecMount(t *testing.T) {
	for _, rerun := range []bool{false, true} {
		g := exampleGraph(t, "service")
		if rerun {
			g = exampleGraphOpts(t, Options{RerunTests: true}, "service")
		}
		gs := g.Stage("tests")
		def, err := g.MarshalState(context.Background(), gs.Result)
		if err != nil {
			t.Fatal(err)
		}
		ops := load(t, def)
		out, err := OutputDigest(def)
		if err != nil {
			t.Fatal(err)
		}
		v := ops[out]
		exec := v.op.GetExec()
		if exec == nil || v.name != "[tests 1/1] TEST pytest -q -p no:cacheprovider tests" {
			t.Fatalf("gate result comes from %q, want the pytest exec", v.name)
		}
		args := exec.Meta.Args
		if len(args) != 7 || args[0] != "/bin/sh" || args[2] != testWrapper || args[6] != "pytest -q -p no:cacheprovider tests" {
			t.Fatalf("test exec args %q", args)
		}
		var result *pb.Mount
		for _, m := range exec.Mounts {
			if m.Dest == ResultDir {
				result = m
			}
		}
		if result == nil || result.Output < 0 || result.Selector != OutputDir {
			t.Fatalf("no writable output mount at %s: %+v", ResultDir, exec.Mounts)
		}
		if got := def.Metadata[string(out)].GetIgnoreCache(); got != rerun {
			t.Errorf("rerun=%v: IgnoreCache=%v", rerun, got)
		}
		if gs.Reports != nil {
			t.Errorf("tests declares no reports dir, but has a reports state")
		}
	}
}

// The service and the tests share the deps vertices, so BuildKit runs them
// once and the two branches proceed in parallel.
func TestGateSharesDepsWithService(t *testing.T) {
	g := exampleGraph(t, "service")
	_, svc := marshal(t, g, "service")
	_, tests := marshal(t, g, "tests")
	var shared []string
	for d, v := range svc {
		if _, ok := tests[d]; ok && v.name != "" {
			shared = append(shared, v.name)
		}
	}
	slices.Sort(shared)
	want := []string{"[context] app", "[context] requirements.txt",
		"[deps 1/3] COPY requirements.txt requirements.txt",
		"[deps 2/3] RUN python -m venv /opt/venv", "[deps 3/3] RUN pip install -r requirements.txt",
		"[deps] FROM python:3.11-slim-bookworm", "[layer] COPY app /app/app"}
	if !slices.Equal(shared, want) {
		t.Fatalf("shared vertices:\n got %q\nwant %q", shared, want)
	}
}

func TestImageConfig(t *testing.T) {
	g := exampleGraph(t, "service", "localdev")
	svc := g.Stage("service").Config
	if svc.OS != "linux" || svc.Architecture != "amd64" {
		t.Errorf("platform %s/%s", svc.OS, svc.Architecture)
	}
	c := svc.Config
	if !slices.Equal(c.Entrypoint, []string{"/app/docker-entrypoint.sh"}) || c.Cmd != nil {
		t.Errorf("service entrypoint %q cmd %q (the base's cmd must be cleared)", c.Entrypoint, c.Cmd)
	}
	if _, ok := c.ExposedPorts["3000/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("exposed %v", c.ExposedPorts)
	}
	if c.WorkingDir != "/app" || c.Labels["org.opencontainers.image.title"] != "python-service" {
		t.Errorf("workdir %q labels %v", c.WorkingDir, c.Labels)
	}
	wantEnv := []string{"PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "VIRTUAL_ENV=/opt/venv",
		"PYTHONPATH=/app", "PYTHONDONTWRITEBYTECODE=1", "PIP_DISABLE_PIP_VERSION_CHECK=1"}
	if !slices.Equal(c.Env, wantEnv) {
		t.Errorf("env\n got %q\nwant %q", c.Env, wantEnv)
	}
	dev := g.Stage("localdev").Config.Config
	if !slices.Equal(dev.Entrypoint, []string{"pytest"}) || !slices.Equal(dev.Cmd, []string{"tests"}) {
		t.Errorf("localdev entrypoint %q cmd %q", dev.Entrypoint, dev.Cmd)
	}
	if _, ok := dev.ExposedPorts["3000/tcp"]; ok {
		t.Error("localdev inherited service's expose")
	}
}

func TestMarshalIsDeterministic(t *testing.T) {
	a, _ := marshal(t, exampleGraph(t, "service"), "service")
	b, _ := marshal(t, exampleGraph(t, "service"), "service")
	da, _ := OutputDigest(a)
	db, _ := OutputDigest(b)
	if da != db || len(a.Def) != len(b.Def) {
		t.Fatalf("two generations differ: %s vs %s", da, db)
	}
}
