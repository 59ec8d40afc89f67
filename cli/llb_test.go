package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/stagebuild/stagebuild/build"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

func runLLBCmd(t *testing.T, args ...string) (*LLBOptions, error) {
	t.Helper()
	var got *LLBOptions
	var buf bytes.Buffer
	cmd := newLLBCmd(Streams{Out: &buf, Err: &buf}, func(o *LLBOptions) error { got = o; return nil })
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	return got, cmd.Execute()
}

func TestLLBOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want LLBOptions
	}{
		"defaults": {nil, LLBOptions{File: "stagebuild.yaml", ContextDir: "."}},
		"target, args, addr": {[]string{"ctx", "--target", "localdev", "--build-arg", "A=1", "--addr", "tcp://bk:1234"},
			LLBOptions{File: "ctx/stagebuild.yaml", ContextDir: "ctx", Target: "localdev", BuildArgs: map[string]string{"A": "1"}, Addr: "tcp://bk:1234"}},
		"gate, no resolve": {[]string{"-f", "ci/p.yaml", "--gate", "tests", "--no-resolve"},
			LLBOptions{File: "ci/p.yaml", ContextDir: "ci", Gate: "tests", NoResolve: true}},
	} {
		got, err := runLLBCmd(t, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tc.want.BuildArgs == nil {
			tc.want.BuildArgs = map[string]string{}
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%s: options\n%+v\nwant\n%+v", name, *got, tc.want)
		}
	}
	for args, want := range map[string]string{
		"--target a --gate b":         "--target a and --gate b: give one of them",
		"--no-resolve --addr tcp://x": "--no-resolve uses no daemon: drop --addr",
		"a b":                         "llb takes at most one DIR argument, got 2 (a b)",
	} {
		_, err := runLLBCmd(t, strings.Fields(args)...)
		if err == nil || err.Error() != want || ExitCode(err) != ExitUsage {
			t.Errorf("%s: %v, want %s", args, err, want)
		}
	}
}

// dumpedOp is one line of the dump, as a consumer decodes it.
type dumpedOp struct {
	Op struct {
		Inputs []struct {
			Digest string `json:"digest"`
			Index  int64  `json:"index"`
		} `json:"inputs"`
		Op map[string]json.RawMessage `json:"Op"`
	}
	Digest     string
	OpMetadata map[string]any
}

func decodeDump(t *testing.T, out string) []dumpedOp {
	t.Helper()
	var ops []dumpedOp
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var op dumpedOp
		if err := json.Unmarshal([]byte(line), &op); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		ops = append(ops, op)
	}
	return ops
}

// exampleDefinition is what the dump must print, made through the build
// package directly.
func exampleDefinition(t *testing.T, stage string, gate bool) *pb.Definition {
	t.Helper()
	p, err := pipeline.Load(filepath.Join(planExampleDir, "stagebuild.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := targets.Resolve(p, []string{stage})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Make(p, res, os.DirFS(planExampleDir))
	if err != nil {
		t.Fatal(err)
	}
	def, err := build.Definition(context.Background(), nil, pl, build.DefinitionOptions{Stage: stage, Gate: gate,
		ContextDir: planExampleDir, Platform: platforms.Normalize(platforms.DefaultSpec())})
	if err != nil {
		t.Fatal(err)
	}
	return def
}

func TestLLBDumpNoResolve(t *testing.T) {
	out := mainOut(t, "llb", planExampleDir, "--target", "service", "--no-resolve")
	if again := mainOut(t, "llb", planExampleDir, "--target", "service", "--no-resolve"); again != out {
		t.Errorf("two dumps of the same plan differ")
	}
	ops := decodeDump(t, out)
	def := exampleDefinition(t, "service", false)
	if len(ops) != len(def.Def) {
		t.Fatalf("%d ops dumped, the definition has %d", len(ops), len(def.Def))
	}
	seen := map[string]bool{}
	var images, execs []string
	for i, op := range ops {
		if want := digest.FromBytes(def.Def[i]).String(); op.Digest != want {
			t.Errorf("op %d: digest %s, want %s", i, op.Digest, want)
		}
		for _, in := range op.Op.Inputs {
			if !seen[in.Digest] {
				t.Errorf("op %d uses %s before it is defined", i, in.Digest)
			}
		}
		seen[op.Digest] = true
		if src, ok := op.Op.Op["source"]; ok {
			var s struct{ Identifier string }
			_ = json.Unmarshal(src, &s)
			if strings.HasPrefix(s.Identifier, "docker-image://") {
				images = append(images, s.Identifier)
			}
		}
		if ex, ok := op.Op.Op["exec"]; ok {
			var e struct{ Meta struct{ Args []string } }
			_ = json.Unmarshal(ex, &e)
			execs = append(execs, strings.Join(e.Meta.Args, " "))
		}
		if i < len(ops)-1 && op.OpMetadata == nil {
			t.Errorf("op %d has no metadata", i)
		}
	}
	if len(images) == 0 || images[0] != "docker-image://docker.io/library/python:3.11-slim-bookworm" {
		t.Errorf("unresolved base images %q", images)
	}
	if !strings.Contains(strings.Join(execs, "\n"), "/bin/sh -c SOURCE_DATE_EPOCH=315532800 pip install -r requirements.txt") {
		t.Errorf("exec ops %q lack the deps install", execs)
	}
	last := ops[len(ops)-1]
	if len(last.Op.Op) != 0 || len(last.Op.Inputs) != 1 {
		t.Errorf("the last op %+v does not just name the result", last.Op)
	}
	if buildctl := "../bin/buildctl"; fileExists(buildctl) {
		raw, err := def.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(buildctl, "debug", "dump-llb")
		cmd.Stdin = bytes.NewReader(raw)
		want, err := cmd.Output()
		if err != nil {
			t.Fatalf("buildctl debug dump-llb: %v", err)
		}
		if string(want) != out {
			t.Errorf("the dump differs from buildctl debug dump-llb:\n%s\nbuildctl:\n%s", out, want)
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// A gate's dump ends in its result directory: a mount of the test's exec.
func TestLLBDumpGate(t *testing.T) {
	ops := decodeDump(t, mainOut(t, "llb", planExampleDir, "--gate", "tests", "--no-resolve"))
	byDigest := map[string]dumpedOp{}
	for _, op := range ops {
		byDigest[op.Digest] = op
	}
	last := ops[len(ops)-1]
	if len(last.Op.Inputs) != 1 {
		t.Fatalf("last op %+v", last)
	}
	result := byDigest[last.Op.Inputs[0].Digest]
	ex, ok := result.Op.Op["exec"]
	if !ok || last.Op.Inputs[0].Index == 0 {
		t.Fatalf("the gate's result is output %d of %v, want a mount output of the test exec", last.Op.Inputs[0].Index, result.Op.Op)
	}
	var e pb.ExecOp
	if err := json.Unmarshal(ex, &e); err != nil {
		t.Fatal(err)
	}
	if args := strings.Join(e.Meta.Args, " "); !strings.Contains(args, "pytest") || !strings.Contains(args, "/.stagebuild/result") {
		t.Errorf("the result comes from %q, not the wrapped test command", args)
	}
	var errb bytes.Buffer
	if code := Main([]string{"llb", planExampleDir, "--gate", "service", "--no-resolve"}, Streams{Out: &bytes.Buffer{}, Err: &errb}); code != ExitUsage ||
		!strings.Contains(errb.String(), "--gate service: stage service is not a gate") {
		t.Errorf("--gate of an image: exit %d, %s", code, errb.String())
	}
}
