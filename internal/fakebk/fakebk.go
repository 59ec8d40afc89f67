// Package fakebk is a fake of BuildKit's client for unit tests of the gated
// export (build.Run, stagebuild.Build): BuildKit.Build runs the gateway
// function against a fake gateway client and, as BuildKit does, runs the
// exporters only when the function returned a result without error. It is
// no daemon and executes nothing; integration tests use a real buildkitd.
package fakebk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/stagebuild/stagebuild/llbgen"
)

// BuildKit stands in for BuildKit's client. A gate's verdict is the exit
// code its test command is given in Exits.
type BuildKit struct {
	// Exits maps a test command to the exit code its gate records; a
	// command not in it passes.
	Exits map[string]int
	// ArchExits are Exits for one architecture's solves only, keyed
	// "ARCH:command" ("arm64:run-the-unit-tests").
	ArchExits map[string]int
	// Errors maps a test command to the error its step's solve fails with
	// (the test step of an infrastructure failure, say); it wins over
	// Exits.
	Errors map[string]error
	// Manifest is the manifest digest the exporters report; "" means
	// Digest.
	Manifest string

	mu sync.Mutex
	// exported lists, per Build, the export types that ran.
	exported [][]string
	builds   int
	results  []*gateway.Result
}

func (f *BuildKit) Build(ctx context.Context, opt client.SolveOpt, product string, fn gateway.BuildFunc,
	ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	if ch != nil {
		defer close(ch)
	}
	f.mu.Lock()
	f.builds++
	f.mu.Unlock()
	res, err := fn(ctx, &gatewayClient{f: f})
	if err != nil {
		return nil, err
	}
	if res == nil || (res.Ref == nil && len(res.Refs) == 0) {
		return nil, errors.New("fake buildkit: the build function returned no ref")
	}
	f.mu.Lock()
	f.results = append(f.results, res)
	f.mu.Unlock()
	manifest := f.Manifest
	if manifest == "" {
		manifest = Digest
	}
	// What an image exporter hands the client's output before it sends
	// the tar.
	md := map[string]string{"containerimage.digest": manifest, "containerimage.config.digest": "sha256:" + ones}
	var types []string
	for _, e := range opt.Exports {
		if e.Output != nil {
			w, err := e.Output(md)
			if err != nil {
				return nil, err
			}
			if w == nil { // the client has it: BuildKit sends nothing
				types = append(types, e.Type+" (already exists)")
				continue
			}
			if _, err := io.WriteString(w, "fake image\n"); err != nil {
				return nil, err
			}
			if err := w.Close(); err != nil {
				return nil, err
			}
		}
		types = append(types, e.Type)
	}
	f.mu.Lock()
	f.exported = append(f.exported, types)
	f.mu.Unlock()
	return &client.SolveResponse{ExporterResponse: md}, nil
}

// Close is a no-op: there is no connection.
func (f *BuildKit) Close() error { return nil }

// Exports lists, per Build whose exporters ran, the export types.
func (f *BuildKit) Exports() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.exported...)
}

// Results lists the results the build functions returned, in order.
func (f *BuildKit) Results() []*gateway.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*gateway.Result(nil), f.results...)
}

// Digest is the image digest every export reports.
const Digest = "sha256:" + zeros

const ones = "1111111111111111111111111111111111111111111111111111111111111111"

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"

// gatewayClient implements BuildKit's gateway client. Solve returns a ref
// whose recorded exit code is that of the test command found in the
// definition, if any.
type gatewayClient struct{ f *BuildKit }

var _ gateway.Client = (*gatewayClient)(nil)

func (g *gatewayClient) Solve(ctx context.Context, req gateway.SolveRequest) (*gateway.Result, error) {
	r := &ref{}
	if req.Definition != nil {
		for _, op := range req.Definition.Def {
			for cmd, err := range g.f.Errors {
				if bytes.Contains(op, []byte(cmd)) {
					return nil, err
				}
			}
			for cmd, code := range g.f.Exits {
				if bytes.Contains(op, []byte(cmd)) {
					r.exit = code
				}
			}
			for key, code := range g.f.ArchExits {
				arch, cmd, _ := strings.Cut(key, ":")
				var o pb.Op
				if bytes.Contains(op, []byte(cmd)) && o.UnmarshalVT(op) == nil && o.Platform != nil && o.Platform.Architecture == arch {
					r.exit = code
				}
			}
		}
	}
	res := gateway.NewResult()
	res.SetRef(r)
	return res, nil
}

func (g *gatewayClient) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, digest.Digest("sha256:" + zeros), []byte(`{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]}}`), nil
}

func (g *gatewayClient) ResolveSourceMetadata(ctx context.Context, op *pb.SourceOp, opt sourceresolver.Opt) (*sourceresolver.MetaResponse, error) {
	return nil, errors.New("fake gateway: no source metadata")
}

func (g *gatewayClient) BuildOpts() gateway.BuildOpts {
	return gateway.BuildOpts{Opts: map[string]string{}}
}

func (g *gatewayClient) Inputs(ctx context.Context) (map[string]llb.State, error) { return nil, nil }

func (g *gatewayClient) NewContainer(ctx context.Context, req gateway.NewContainerRequest) (gateway.Container, error) {
	return nil, errors.New("fake gateway: no containers")
}

func (g *gatewayClient) Warn(ctx context.Context, dgst digest.Digest, msg string, opts gateway.WarnOpts) error {
	return nil
}

// ref is a solved result: a gate's result directory holds its exit
// code and a log line; nothing else exists.
type ref struct{ exit int }

func (r *ref) ToState() (llb.State, error)        { return llb.Scratch(), nil }
func (r *ref) Evaluate(ctx context.Context) error { return nil }

func (r *ref) ReadFile(ctx context.Context, req gateway.ReadRequest) ([]byte, error) {
	switch req.Filename {
	case path.Join(llbgen.OutputDir, "exit"):
		return []byte(strconv.Itoa(r.exit) + "\n"), nil
	case path.Join(llbgen.OutputDir, "log"):
		return []byte("fake test output, exit " + strconv.Itoa(r.exit) + "\n"), nil
	}
	return nil, os.ErrNotExist
}

func (r *ref) StatFile(ctx context.Context, req gateway.StatRequest) (*fstypes.Stat, error) {
	return nil, os.ErrNotExist
}

func (r *ref) ReadDir(ctx context.Context, req gateway.ReadDirRequest) ([]*fstypes.Stat, error) {
	return nil, nil
}
