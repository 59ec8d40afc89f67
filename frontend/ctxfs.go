package frontend

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/manifest"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
)

// manifestPatterns are the files manifest.Detect may read in an install
// directory (manifest.IsManifest's names).
var manifestPatterns = []string{"pyproject.toml", "poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock",
	"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "go.mod", "go.sum",
	"*requirements*.txt", "requirements/*.txt"}

// plannerPatterns are the context paths the planner reads for p: the
// ignore files, the ca_certs files, the manifests of every install: directory, and the copied
// files that are manifests or requirements lists (the purity check reads
// what test-side stages copy).
func plannerPatterns(p *pipeline.Pipeline) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, f := range plan.IgnoreFiles() {
		add(f)
	}
	for _, f := range caPaths(p) { // the CA bundles of ca_certs (frontend.go)
		add(f)
	}
	for _, s := range p.Stages {
		for _, c := range s.Copy {
			src := path.Clean(c.Src.Value)
			base := path.Base(src)
			if manifest.IsManifest(src) || (strings.HasSuffix(base, ".txt") && strings.Contains(base, "requirements")) {
				add(src)
			}
		}
		if s.Install == nil {
			continue
		}
		dir := path.Clean(s.Install.Dir.Value)
		for _, m := range manifestPatterns {
			add(path.Join(dir, m))
		}
	}
	sort.Strings(out)
	return out
}

// solveFunc solves the client's context, limited to the include patterns.
type solveFunc func(ctx context.Context, include []string) (gateway.Reference, error)

// localSolver solves the client's local context in session sessionID.
func localSolver(gw gateway.Client, sessionID string) solveFunc {
	return func(ctx context.Context, include []string) (gateway.Reference, error) {
		st := llb.Local(llbgen.ContextName, llb.IncludePatterns(include), llb.SessionID(sessionID),
			llb.SharedKeyHint("stagebuild-planner"), llb.WithCustomName("[internal] load the pipeline's manifests"))
		def, err := st.Marshal(ctx)
		if err != nil {
			return nil, err
		}
		res, err := gw.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
		if err != nil {
			return nil, err
		}
		return res.SingleRef()
	}
}

// ctxFS is the client's build context as the planner reads it: an fs.FS
// over one solved reference that holds only the paths the planner is known
// to read (plannerPatterns). A path outside them (a requirements file that
// includes another, say) is fetched on its own when first asked for.
type ctxFS struct {
	ctx      context.Context
	solve    solveFunc
	patterns []string
	base     gateway.Reference

	mu    sync.Mutex
	extra map[string]gateway.Reference
}

func newCtxFS(ctx context.Context, solve solveFunc, patterns []string) (*ctxFS, error) {
	base, err := solve(ctx, patterns)
	if err != nil {
		return nil, err
	}
	return &ctxFS{ctx: ctx, solve: solve, patterns: patterns, base: base, extra: map[string]gateway.Reference{}}, nil
}

// ref returns the reference that holds name, when it exists.
func (f *ctxFS) ref(name string) (gateway.Reference, error) {
	for _, p := range f.patterns {
		if ok, _ := path.Match(p, name); ok || name == "." {
			return f.base, nil
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.extra[name]; ok {
		return r, nil
	}
	r, err := f.solve(f.ctx, []string{name})
	if err != nil {
		return nil, err
	}
	f.extra[name] = r
	return r, nil
}

func (f *ctxFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	r, err := f.ref(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	st, err := r.StatFile(f.ctx, gateway.StatRequest{Path: name})
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return statInfo{st}, nil
}

func (f *ctxFS) ReadFile(name string) ([]byte, error) {
	fi, err := f.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	r, err := f.ref(name)
	if err != nil {
		return nil, err
	}
	data, err := r.ReadFile(f.ctx, gateway.ReadRequest{Filename: name})
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// ReadDir lists what the solved reference holds of a directory: only the
// planner's paths (the fs.ReadDirFS contract, limited to those).
func (f *ctxFS) ReadDir(name string) ([]fs.DirEntry, error) {
	r, err := f.ref(name)
	if err != nil {
		return nil, err
	}
	sts, err := r.ReadDir(f.ctx, gateway.ReadDirRequest{Path: name})
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	var out []fs.DirEntry
	for _, st := range sts {
		out = append(out, fs.FileInfoToDirEntry(statInfo{st}))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func (f *ctxFS) Open(name string) (fs.File, error) {
	fi, err := f.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return &file{info: fi, r: bytes.NewReader(nil)}, nil
	}
	data, err := f.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &file{info: fi, r: bytes.NewReader(data)}, nil
}

type file struct {
	info fs.FileInfo
	r    io.Reader
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *file) Close() error               { return nil }

// statInfo is a gateway stat as an fs.FileInfo.
type statInfo struct{ st *fstypes.Stat }

func (s statInfo) Name() string       { return path.Base(strings.TrimSuffix(s.st.Path, "/")) }
func (s statInfo) Size() int64        { return s.st.Size }
func (s statInfo) Mode() fs.FileMode  { return fs.FileMode(s.st.Mode) }
func (s statInfo) ModTime() time.Time { return time.Unix(0, s.st.ModTime) }
func (s statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s statInfo) Sys() any           { return s.st }
