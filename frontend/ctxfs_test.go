package frontend

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

// dirRef is a solved local source over a directory: only the files that
// match one of its include patterns are in it, as with llb.IncludePatterns.
type dirRef struct {
	dir     string
	include []string
}

func (r dirRef) has(name string) bool {
	for _, p := range r.include {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

func (r dirRef) ToState() (llb.State, error)    { return llb.Scratch(), nil }
func (r dirRef) Evaluate(context.Context) error { return nil }
func (r dirRef) ReadFile(_ context.Context, req gateway.ReadRequest) ([]byte, error) {
	if !r.has(req.Filename) {
		return nil, fs.ErrNotExist
	}
	return os.ReadFile(filepath.Join(r.dir, req.Filename))
}
func (r dirRef) StatFile(_ context.Context, req gateway.StatRequest) (*fstypes.Stat, error) {
	if !r.has(req.Path) {
		return nil, fs.ErrNotExist
	}
	fi, err := os.Stat(filepath.Join(r.dir, req.Path))
	if err != nil {
		return nil, err
	}
	return &fstypes.Stat{Path: req.Path, Mode: uint32(fi.Mode()), Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}, nil
}
func (r dirRef) ReadDir(context.Context, gateway.ReadDirRequest) ([]*fstypes.Stat, error) {
	return nil, errors.New("not used")
}

// The planner makes the same plan over the client's context, read through
// one solve of the paths it needs, as over the directory itself.
func TestPlanOverContextMatchesDir(t *testing.T) {
	dir := filepath.Join("..", "examples", "python-service")
	p, err := pipeline.Load(filepath.Join(dir, "stagebuild.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := targets.Resolve(p, []string{"service"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := plan.Make(p, res, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	var solves [][]string
	solve := func(_ context.Context, include []string) (gateway.Reference, error) {
		solves = append(solves, include)
		return dirRef{dir: dir, include: include}, nil
	}
	fsys, err := newCtxFS(t.Context(), solve, plannerPatterns(p))
	if err != nil {
		t.Fatal(err)
	}
	got, err := plan.Make(p, res, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan over the frontend's context differs from the plan over the directory")
	}
	if len(solves) != 1 {
		t.Errorf("solves = %q, want one (the planner's paths)", solves)
	}
	if !slices.Contains(solves[0], ".dockerignore") || !slices.Contains(solves[0], "test_requirements.txt") {
		t.Errorf("first solve includes %q, want the ignore files and the copied requirements", solves[0])
	}
}

// A path outside the planner's patterns is fetched on its own, once; one
// inside them that the context lacks does not exist, with no extra solve.
func TestCtxFSFetchesOtherPathsOnce(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"requirements.txt": "-r base/common.txt\n", "base/common.txt": "flask\n"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var solves [][]string
	solve := func(_ context.Context, include []string) (gateway.Reference, error) {
		solves = append(solves, include)
		return dirRef{dir: dir, include: include}, nil
	}
	fsys, err := newCtxFS(t.Context(), solve, []string{"requirements.txt", "poetry.lock"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "poetry.lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(poetry.lock) = %v, want not-exist", err)
	}
	for range 2 {
		b, err := fs.ReadFile(fsys, "base/common.txt")
		if err != nil || string(b) != "flask\n" {
			t.Fatalf("ReadFile(base/common.txt) = %q, %v", b, err)
		}
	}
	if want := [][]string{{"requirements.txt", "poetry.lock"}, {"base/common.txt"}}; !reflect.DeepEqual(solves, want) {
		t.Errorf("solves = %q, want %q", solves, want)
	}
}

func TestTargetsAndOutline(t *testing.T) {
	p, err := pipeline.Load(filepath.Join("..", "integration", "testdata", "frontend", "stagebuild.yaml"), map[string]string{"GREETING": "hi"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range targetList(p).Targets {
		got = append(got, tg.Name+": "+tg.Description)
	}
	want := []string{"base: image", "tests: gate, guards service", "service: image, gated by tests"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targets = %q, want %q", got, want)
	}
	o, err := outlineOf(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "service" || o.Description != "image service, gated by tests" || len(o.Args) != 1 || o.Args[0].Value != "hi" {
		t.Errorf("outline = %+v", o)
	}
	if _, err := outlineOf(p, "nope"); err == nil {
		t.Errorf("outline of an unknown target: no error")
	}
}
