package llbgen

import (
	"context"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// runOp is the exec op of a plain run step: one with cache mounts at
// most (no bind, secret or SSH mount, and none of the host's CA or proxy
// settings), on a state that stageState made. It is what st.Run with the
// step's args, name, cache mounts and constraints gives, built and
// marshalled directly: llb's ExecOp looks up each of a dozen values
// (env, dir, user, args, hostname...) by walking the state's value
// chain, evaluates the env one variable at a time, then encodes the op by
// reflection. TestOwnOpsAsLLB holds it to llb's bytes and metadata.
type runOp struct {
	base     llb.Output // the root mount's source; nil on scratch
	args     []string
	env      []string // as llb's EnvList gives it (envArray)
	cwd      string
	user     string
	platform ocispecs.Platform
	caches   []plan.CacheMount // sorted by target, none at /
	ignore   bool
	name     string

	mu   sync.Mutex
	c    *llb.Constraints // the constraints of the last marshal
	dgst digest.Digest
	dt   []byte
	meta *pb.OpMetadata
}

// plainRun returns st run with the step's args and cache mounts as
// st.Run would, when the step is a plain one (runOp) and st's values are
// those stageState set for cfg and an env that llb lists as env
// (envArray); ok is false otherwise.
func plainRun(st llb.State, step plan.Step, name string, ignore bool, env []string, cfg ocispecs.Image, platform ocispecs.Platform) (llb.State, bool) {
	if len(step.Secrets) > 0 || len(step.SSH) > 0 || len(step.BindMounts) > 0 || len(step.Args) == 0 {
		return llb.State{}, false
	}
	args := argv(step.Args, step.Shell)
	if len(args) == 0 {
		return llb.State{}, false
	}
	caches := slices.Clone(step.CacheMounts)
	slices.SortFunc(caches, func(a, b plan.CacheMount) int { return strings.Compare(a.Target, b.Target) })
	for i, m := range caches {
		// llb sorts mounts unstably: two at one target, or one at the
		// root, are left to it.
		if m.Target <= pb.RootMount || (i > 0 && caches[i-1].Target == m.Target) {
			return llb.State{}, false
		}
	}
	dir := cfg.Config.WorkingDir
	if dir == "" {
		dir = "/"
	}
	if !path.IsAbs(dir) {
		dir = path.Join("/", dir) // as llb.Dir over NewState's "/"
	}
	op := &runOp{base: st.Output(), args: args, env: env, cwd: dir, user: cfg.Config.User,
		platform: platform, caches: caches, ignore: ignore, name: name}
	return st.WithOutput(op), true
}

// envArray is what llb's EnvList gives for env added one variable at a
// time, as stageState adds it: each variable once, where it was set last,
// with the value set last.
func envArray(env []string) []string {
	type kv struct{ k, v string }
	last := make(map[string]int, len(env))
	vars := make([]kv, 0, len(env))
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		last[k] = len(vars)
		vars = append(vars, kv{k, v})
	}
	out := make([]string, 0, len(last))
	for i, e := range vars {
		if last[e.k] == i {
			out = append(out, e.k+"="+e.v)
		}
	}
	return out
}

// Validate, Marshal, Output and Inputs make it an llb.Vertex; ToInput and
// Vertex its root mount's output.
// allVars says whether every entry of env sets a variable (has "=").
func allVars(env []string) bool {
	for _, kv := range env {
		if !strings.Contains(kv, "=") {
			return false
		}
	}
	return true
}

func (op *runOp) Validate(context.Context, *llb.Constraints) error { return nil }
func (op *runOp) Output() llb.Output                               { return op }

func (op *runOp) Inputs() []llb.Output {
	if op.base == nil {
		return nil
	}
	return []llb.Output{op.base}
}

func (op *runOp) Vertex(context.Context, *llb.Constraints) llb.Vertex { return op }

func (op *runOp) ToInput(ctx context.Context, c *llb.Constraints) (*pb.Input, error) {
	dgst, _, _, _, err := op.Marshal(ctx, c)
	if err != nil {
		return nil, err
	}
	return &pb.Input{Digest: string(dgst)}, nil
}

// Marshal gives what llb's ExecOp.Marshal gives for the step: the op
// (the platform, empty worker constraints, the root mount and the cache
// mounts in target order), its digest and its metadata.
func (op *runOp) Marshal(ctx context.Context, c *llb.Constraints) (digest.Digest, []byte, *pb.OpMetadata, []*llb.SourceLocation, error) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.c == c && op.dt != nil {
		return op.dgst, op.dt, op.meta, nil, nil
	}
	caps := map[string]bool{string(pb.CapExecMetaBase): true}
	var inputs []*pb.Input
	root := &pb.Mount{Input: int64(pb.Empty), Dest: pb.RootMount}
	if op.base != nil {
		inp, err := op.base.ToInput(ctx, c)
		if err != nil {
			return "", nil, nil, nil, err
		}
		inputs = append(inputs, inp)
		root.Input = 0
		caps[string(pb.CapExecMountBind)] = true
	}
	mounts := []*pb.Mount{root}
	for _, m := range op.caches {
		mounts = append(mounts, &pb.Mount{Input: int64(pb.Empty), Dest: m.Target, Output: int64(pb.SkipOutput),
			MountType: pb.MountType_CACHE, CacheOpt: &pb.CacheOpt{ID: m.ID, Sharing: pb.CacheSharingOpt_LOCKED}})
		caps[string(pb.CapExecMountCache)] = true
		caps[string(pb.CapExecMountCacheSharing)] = true
	}
	p := op.platform
	plat := &pb.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant, OSVersion: p.OSVersion}
	if p.OSFeatures != nil {
		plat.OSFeatures = slices.Clone(p.OSFeatures)
	}
	pop := &pb.Op{
		Inputs: inputs,
		Op: &pb.Op_Exec{Exec: &pb.ExecOp{
			Meta:   &pb.Meta{Args: op.args, Env: op.env, Cwd: op.cwd, User: op.user, RemoveMountStubsRecursive: true},
			Mounts: mounts,
		}},
		Platform:    plat,
		Constraints: &pb.WorkerConstraints{},
	}
	// MarshalVT encodes as proto's deterministic marshalling for an op
	// with no map field: fields in order, the oneof last.
	dt, err := pop.MarshalVT()
	if err != nil {
		return "", nil, nil, nil, err
	}
	md := &pb.OpMetadata{IgnoreCache: op.ignore, Caps: caps}
	if op.name != "" {
		md.Description = map[string]string{"llb.customname": op.name}
	}
	op.c, op.dt, op.dgst, op.meta = c, dt, sha256Digest(dt), md
	return op.dgst, op.dt, op.meta, nil, nil
}
