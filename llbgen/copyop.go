package llbgen

import (
	"context"
	"path"
	"strings"
	"sync"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// copyOp is a file op of one copy: what base.File(llb.Copy(src, from,
// to, ci), opts...) gives, built and marshalled directly. Every copy of a
// pipeline is one, hundreds in a large one, and llb's FileOp spends most
// of its marshalling in generic machinery (marshal state, constraints,
// reflection-based encoding) around an op of a few fields.
// TestOwnOpsAsLLB holds it to llb's bytes and metadata.
type copyOp struct {
	base, src llb.Output // base is nil on scratch
	inputs    []llb.Output
	from, to  string
	ci        llb.CopyInfo
	ignore    bool   // llb.IgnoreCache
	name      string // llb.WithCustomName, or ""

	mu   sync.Mutex
	c    *llb.Constraints // the constraints of the last marshal
	dgst digest.Digest
	dt   []byte
	meta *pb.OpMetadata
}

// fileCopy is base.File(llb.Copy(src, from, to, ci), opts) for the
// options generation sets (llb.IgnoreCache, when ignore, and a custom
// name); with llbOps, it is that.
func fileCopy(base, src llb.State, from, to string, ci *llb.CopyInfo, ignore bool, name string, llbOps bool) llb.State {
	if llbOps {
		var opts []llb.ConstraintsOpt
		if ignore {
			opts = append(opts, llb.IgnoreCache)
		}
		if name != "" {
			opts = append(opts, llb.WithCustomName(name))
		}
		return base.File(llb.Copy(src, from, to, ci), opts...)
	}
	op := &copyOp{base: base.Output(), src: src.Output(), from: from, to: to, ci: *ci, ignore: ignore, name: name}
	// As FileOp.Inputs lists them: each output once.
	if op.base != nil {
		op.inputs = append(op.inputs, op.base)
	}
	if op.src != nil && op.src != op.base {
		op.inputs = append(op.inputs, op.src)
	}
	return base.WithOutput(op)
}

// Validate, Marshal, Output and Inputs make it an llb.Vertex; ToInput and
// Vertex its own output.
func (op *copyOp) Validate(context.Context, *llb.Constraints) error { return nil }
func (op *copyOp) Output() llb.Output                               { return op }
func (op *copyOp) Inputs() []llb.Output                             { return op.inputs }

func (op *copyOp) Vertex(context.Context, *llb.Constraints) llb.Vertex { return op }

func (op *copyOp) ToInput(ctx context.Context, c *llb.Constraints) (*pb.Input, error) {
	dgst, _, _, _, err := op.Marshal(ctx, c)
	if err != nil {
		return nil, err
	}
	return &pb.Input{Digest: string(dgst)}, nil
}

// Marshal gives what llb's FileOp.Marshal gives for the copy: the op
// (no platform, empty worker constraints), its digest and its metadata
// (only file.base among the caps: llb adds a copy's own caps before it
// lists its actions, so never).
func (op *copyOp) Marshal(ctx context.Context, c *llb.Constraints) (digest.Digest, []byte, *pb.OpMetadata, []*llb.SourceLocation, error) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.c == c && op.dt != nil {
		return op.dgst, op.dt, op.meta, nil, nil
	}
	var inputs []*pb.Input
	add := func(o llb.Output) (int64, error) {
		inp, err := o.ToInput(ctx, c)
		if err != nil {
			return 0, err
		}
		for i, had := range inputs {
			if inp.EqualVT(had) {
				return int64(i), nil
			}
		}
		inputs = append(inputs, inp)
		return int64(len(inputs) - 1), nil
	}
	base, src := int64(-1), int64(-1)
	var err error
	if op.base != nil {
		if base, err = add(op.base); err != nil {
			return "", nil, nil, nil, err
		}
	}
	if op.src != nil {
		if src, err = add(op.src); err != nil {
			return "", nil, nil, nil, err
		}
	}
	ci := &op.ci
	cp := &pb.FileActionCopy{
		Src:                              path.Join("/", path.Clean(op.from)),
		Dest:                             normalizeDest(op.to),
		Owner:                            chown(ci.ChownOpt, base),
		IncludePatterns:                  ci.IncludePatterns,
		ExcludePatterns:                  ci.ExcludePatterns,
		RequiredPaths:                    ci.RequiredPaths,
		AllowWildcard:                    ci.AllowWildcard,
		AllowEmptyWildcard:               ci.AllowEmptyWildcard,
		FollowSymlink:                    ci.FollowSymlinks,
		DirCopyContents:                  ci.CopyDirContentsOnly,
		AttemptUnpackDockerCompatibility: ci.AttemptUnpack,
		CreateDestPath:                   ci.CreateDestPath,
		Timestamp:                        -1,
		AlwaysReplaceExistingDestPaths:   ci.AlwaysReplaceExistingDestPaths,
		Mode:                             -1,
	}
	if ci.CreatedTime != nil {
		cp.Timestamp = ci.CreatedTime.UnixNano()
	}
	if ci.Mode != nil {
		cp.Mode = 0
		if ci.Mode.ModeStr != "" {
			cp.ModeStr = ci.Mode.ModeStr
		} else {
			cp.Mode = int32(ci.Mode.Mode)
		}
	}
	pop := &pb.Op{
		Inputs: inputs,
		Op: &pb.Op_File{File: &pb.FileOp{Actions: []*pb.FileAction{{
			Input: base, SecondaryInput: src, Action: &pb.FileAction_Copy{Copy: cp},
		}}}},
		Constraints: &pb.WorkerConstraints{},
	}
	// MarshalVT encodes as proto's deterministic marshalling for an op
	// with no map field: fields in order, the oneof last.
	dt, err := pop.MarshalVT()
	if err != nil {
		return "", nil, nil, nil, err
	}
	md := &pb.OpMetadata{IgnoreCache: op.ignore, Caps: map[string]bool{string(pb.CapFileBase): true}}
	if op.name != "" {
		md.Description = map[string]string{"llb.customname": op.name}
	}
	op.c, op.dt, op.dgst, op.meta = c, dt, sha256Digest(dt), md
	return op.dgst, op.dt, op.meta, nil, nil
}

// chown is llb's ChownOpt marshalled for an op whose base input is base.
func chown(co *llb.ChownOpt, base int64) *pb.ChownOpt {
	if co == nil {
		return nil
	}
	user := func(u *llb.UserOpt) *pb.UserOpt {
		if u == nil {
			return nil
		}
		if u.Name != "" {
			return &pb.UserOpt{User: &pb.UserOpt_ByName{ByName: &pb.NamedUserOpt{Name: u.Name, Input: base}}}
		}
		return &pb.UserOpt{User: &pb.UserOpt_ByID{ByID: uint32(u.UID)}}
	}
	return &pb.ChownOpt{User: user(co.User), Group: user(co.Group)}
}

// normalizeDest is llb's normalizePath for a copy's destination, which
// generation makes absolute (absPath): cleaned, keeping a final slash or
// "/.".
func normalizeDest(p string) string {
	orig := p
	p = path.Clean(p)
	if !path.IsAbs(p) {
		p = path.Join("/", p)
	}
	if strings.HasSuffix(orig, "/") && !strings.HasSuffix(p, "/") {
		p += "/"
	} else if strings.HasSuffix(orig, "/.") {
		if p != "/" {
			p += "/"
		}
		p += "."
	}
	return p
}
