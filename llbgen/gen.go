package llbgen

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// ContextName is the name of the build context's local source.
const ContextName = "context"

// BaseImage is a resolved base image: the reference to pull (pinned by
// digest when known) and its config.
type BaseImage struct {
	Ref    string
	Config ocispecs.Image
}

// Options are what the generator needs beyond the plan.
type Options struct {
	Platform ocispecs.Platform
	// Bases maps each image named in the plan to its resolved form. An image
	// missing here is used by name with an empty config.
	Bases map[string]BaseImage
	// SharedKeyHint lets BuildKit reuse a previous transfer of the context.
	SharedKeyHint string
	// LocalUniqueID names the context source in every definition of this
	// graph, so the image and its gates share vertices. Use a new one per
	// build invocation: a vertex identical to one of a build still winding
	// down would join it and see that build's (older) context. Empty means
	// one derived from SharedKeyHint, for tests.
	LocalUniqueID string
	// SessionID, when set, is the client session whose local
	// ContextName the copies read (a frontend's; see llb.SessionID).
	SessionID string
	// RerunTests makes every test command run again instead of reusing a
	// cached result.
	RerunTests bool
	// NoCache runs every step again; NoCacheStages only the named stages'.
	NoCache       bool
	NoCacheStages []string
	// Pull makes BuildKit fetch base images even when it has them.
	Pull bool
	// CA mounts the trusted CA bundle (the session secret CASecretID) into
	// every run step, test and command check; Proxy hands them the proxy
	// settings (see ca.go, proxy.go). Created, when set, is every stage's
	// config creation time (SOURCE_DATE_EPOCH).
	CA bool
	// CAFile, when set (a frontend's), is the CA bundle itself, mounted
	// from a file instead of the session secret (ca.go).
	CAFile []byte
	Proxy  *llb.ProxyEnv
	// ProxySecrets name the proxy variables (HTTPS_PROXY, ...) whose values
	// carry credentials: they come from the session secrets ProxySecretID
	// and are never in Proxy (proxy.go).
	ProxySecrets []string
	Created      *time.Time
	// ServicesEnv, by gate, is the services env file (KEY='value' lines)
	// that the gate's test gets in ServicesEnvProxyVar instead of the session
	// secret ServicesSecretID: for a frontend, which serves no session
	// secrets. Like the secret, it is in no cache key.
	ServicesEnv map[string][]byte
	// llbOps, for tests, makes every op with llb's own constructors
	// instead of llbgen's (local.go): the definitions must not differ.
	llbOps bool
}

// Stage is the LLB of one planned stage.
type Stage struct {
	Name   string
	Gate   bool
	State  llb.State
	Config ocispecs.Image
	// Result is a gate's result directory (see ResultDir); Reports its
	// reports directory, when the stage declares one.
	Result  llb.State
	Reports *llb.State
	exec    []llb.RunOption // the graph's execOptions, for its test
	env     []string        // its run steps' env, in BuildKit's order (execEnv)
	// runEnv is env when it is also as llb lists it (envArray): each
	// variable once, with a value; nil otherwise.
	runEnv []string
	// services are the test's run options for its services (services.go).
	services []llb.RunOption
	// frontendEnv: the services env comes in ServicesEnvProxyVar.
	frontendEnv bool
	// TestBase is the filesystem a gate's test runs on (stagebuild debug).
	TestBase llb.State
	// origin is the state after the first step of the stage's chain of
	// stages (its base image's while it has none): result directories are
	// made on it (writableMount). stepped says it is a step's.
	origin  llb.State
	stepped bool
}

// Graph holds every planned stage's LLB.
type Graph struct {
	stages     map[string]*Stage
	platform   ocispecs.Platform
	localID    string
	exec       []llb.RunOption // execOptions, for every exec of the graph
	marshaller *marshaller     // marshal.go
	svc        serviceGen      // services.go
}

// Stage returns the generated stage with the given name, or nil.
func (g *Graph) Stage(name string) *Stage { return g.stages[name] }

// Generate turns a plan into LLB states.
func Generate(pl *plan.Plan, opts Options) (*Graph, error) {
	// Every stage's definition must name the context with the same unique
	// ID, or each Marshal would get a random one and the image and its gates
	// would not share the vertices they have in common.
	platform := platforms.FormatAll(platforms.Normalize(opts.Platform))
	if err := plan.CheckPlatform(pl, platform); err != nil {
		return nil, err
	}
	localID := opts.LocalUniqueID
	if localID == "" {
		localID = digest.FromString("stagebuild-context:" + opts.SharedKeyHint).Encoded()[:24]
	}
	g := &Graph{stages: map[string]*Stage{}, platform: opts.Platform, localID: localID, exec: execOptions(opts),
		marshaller: newMarshaller(llb.NewConstraints(llb.Platform(opts.Platform), llb.LocalUniqueID(localID)), vertices(pl)), svc: serviceGen{pl: pl, opts: opts}}
	// What a build marshals is marshalled beside the generation of the
	// stages above it (warm.go).
	warm := g.marshaller.startWarm()
	defer warm.close()
	locals := contextSources{pl: pl, hint: opts.SharedKeyHint, session: opts.SessionID, bySrc: map[string]llb.State{}, llbOps: opts.llbOps}
	for i := range pl.Stages {
		ps := &pl.Stages[i]
		st, cfg, err := g.base(ps, opts)
		if err != nil {
			return nil, err
		}
		cfg = applyConfig(cfg, ps.Config)
		if opts.Created != nil {
			created := *opts.Created
			cfg.Created = &created
		}
		env, origin, stepped := cfg.Config.Env, st, false
		var runEnv []string // env as llb lists it (envArray), when it is env itself
		if parent := g.stages[ps.Base.Stage]; parent != nil {
			env, origin, stepped = execEnv(parent.env, parent.Config, cfg), parent.origin, parent.stepped
			// execEnv names each variable once when the parent's env did
			// and every variable set has a value.
			if parent.runEnv != nil && allVars(cfg.Config.Env) {
				runEnv = env
			}
		} else if arr := envArray(env); slices.Equal(arr, env) {
			runEnv = env
		}
		st = stageState(st.Output(), opts.Platform, env, cfg)
		total := len(ps.Steps)
		gen := &Stage{Name: ps.Name, Gate: ps.Gate, Config: cfg, env: env, runEnv: runEnv, exec: g.exec, origin: origin, stepped: stepped}
		if runEnv == nil {
			runEnv = envArray(env)
		}
		if gen.services, err = g.serviceOptions(ps); err != nil {
			return nil, err
		}
		_, gen.frontendEnv = opts.ServicesEnv[ps.Name]
		var nocache []llb.ConstraintsOpt
		if opts.NoCache || slices.Contains(opts.NoCacheStages, ps.Name) {
			nocache = append(nocache, llb.IgnoreCache)
		}
		for n, step := range ps.Steps {
			if !step.ForPlatform(platform) {
				continue // another platform's variant of a fetched file
			}
			name := fmt.Sprintf("[%s %d/%d] %s", ps.Name, n+1, total, describe(step))
			switch step.Kind {
			case plan.StepFetch:
				if st, err = fetch(st, cfg, step, name, nocache); err != nil {
					return nil, fmt.Errorf("stage %s: %w", ps.Name, err)
				}
			case plan.StepCopy:
				ci, err := copyInfo(step)
				if err != nil {
					return nil, fmt.Errorf("stage %s: %w", ps.Name, err)
				}
				var src llb.State
				srcPath := "/" + step.Src
				if step.From == "" {
					src = locals.forCopy(step.Src)
				} else if from := g.stages[step.From]; from != nil {
					src, srcPath = from.State, path.Join("/", step.Src)
				} else {
					return nil, fmt.Errorf("stage %s copies from stage %s, which is not generated before it", ps.Name, step.From)
				}
				dest := absPath(cfg, step.Dest)
				if !step.SharedLayer {
					st = fileCopy(st, src, srcPath, dest, ci, len(nocache) > 0, name, opts.llbOps)
					break
				}
				// A layer of its own, merged on top: the same source copied
				// to the same place is one blob in every image.
				layer := fileCopy(llb.Scratch(), src, srcPath, dest, ci, len(nocache) > 0, "[layer] COPY "+step.Src+" "+dest, opts.llbOps)
				st = st.WithOutput(llb.Merge([]llb.State{st, layer}, append(nocache, llb.WithCustomName(name))...).Output())
			case plan.StepFile:
				dest := absPath(cfg, step.Dest)
				st = st.File(llb.Mkdir(path.Dir(dest), 0o755, llb.WithParents(true)).
					Mkfile(dest, 0o644, []byte(step.Content)), append(nocache, llb.WithCustomName(name))...)
			case plan.StepRun, plan.StepTest:
				binds, err := g.bindMounts(ps.Name, step)
				if err != nil {
					return nil, err
				}
				if step.Kind == plan.StepTest {
					st = test(st, ps, step, name, opts.RerunTests || len(nocache) > 0, gen, binds)
					break
				}
				if len(g.exec) == 0 && !opts.llbOps {
					if ran, ok := plainRun(st, step, name, len(nocache) > 0, runEnv, cfg, opts.Platform); ok {
						st = ran
						break
					}
				}
				st = st.Run(append(append(runOptions(step, name, binds), g.exec...), constraints(nocache)...)...).Root()
			default:
				return nil, fmt.Errorf("stage %s: unknown step kind %q", ps.Name, step.Kind)
			}
			if !gen.stepped && step.Kind != plan.StepTest {
				gen.origin, gen.stepped = st, true
			}
		}
		gen.State = st
		g.stages[ps.Name] = gen
		warm.add(st)
		if gen.Gate {
			warm.add(gen.Result)
		}
		if gen.Reports != nil {
			warm.add(*gen.Reports)
		}
	}
	return g, nil
}

// vertices estimates how many vertices a plan's graph has: a stage's
// base, a gate's result directory, and each step's op with the source a
// copy reads.
func vertices(pl *plan.Plan) int {
	n := 0
	for i := range pl.Stages {
		n += 2 + 2*len(pl.Stages[i].Steps)
	}
	return n
}

func (g *Graph) base(ps *plan.Stage, opts Options) (llb.State, ocispecs.Image, error) {
	if ps.Base.Stage != "" {
		parent := g.stages[ps.Base.Stage]
		if parent == nil {
			return llb.State{}, ocispecs.Image{}, fmt.Errorf("stage %s: base stage %s is not planned before it", ps.Name, ps.Base.Stage)
		}
		return parent.State, cloneImage(parent.Config), nil
	}
	b, ok := opts.Bases[ps.Base.Image]
	if !ok {
		b = BaseImage{Ref: ps.Base.Image}
	}
	cfg := cloneImage(b.Config)
	cfg.Platform = opts.Platform
	st := image(b.Ref, opts.Platform, opts.Pull, fmt.Sprintf("[%s] FROM %s", ps.Name, ps.Base.Image), g.localID)
	return st, cfg, nil
}

// Marshal returns the definition of a stage's final state for this graph's
// platform, as llb's State.Marshal and Definition.ToPB give it (with an
// empty source map). Its metadata entries are shared with the graph's
// other definitions: read them, do not write into them.
func (g *Graph) Marshal(ctx context.Context, name string) (*pb.Definition, error) {
	s := g.stages[name]
	if s == nil {
		return nil, fmt.Errorf("stage %s was not generated", name)
	}
	return g.marshaller.marshal(ctx, s.State)
}

// MarshalState returns the definition of any state of this graph, such as a
// gate's Result or Reports, as Marshal does.
func (g *Graph) MarshalState(ctx context.Context, st llb.State) (*pb.Definition, error) {
	return g.marshaller.marshal(ctx, st)
}

// OutputDigest is the digest of the vertex a definition ends in.
func OutputDigest(def *pb.Definition) (digest.Digest, error) {
	if len(def.Def) == 0 {
		return "", fmt.Errorf("empty definition")
	}
	var op pb.Op
	if err := op.UnmarshalVT(def.Def[len(def.Def)-1]); err != nil {
		return "", err
	}
	if len(op.Inputs) == 0 {
		return "", fmt.Errorf("definition has no output")
	}
	return digest.Digest(op.Inputs[0].Digest), nil
}

// copyInfo copies as COPY does, with the step's owner, mode and exclusions
// set as the Dockerfile frontend sets --chown, --chmod and --exclude.
func copyInfo(step plan.Step) (*llb.CopyInfo, error) {
	ci := &llb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		AllowWildcard:       true,
		FollowSymlinks:      true,
		ExcludePatterns:     step.Exclude,
	}
	if step.Chown != "" {
		llb.WithUser(step.Chown).SetCopyOption(ci)
	}
	if step.Chmod != "" {
		m, err := strconv.ParseUint(step.Chmod, 8, 32)
		if err != nil || m > 0o7777 {
			return nil, fmt.Errorf("copy %s (%s): chmod %q is not an octal file mode up to 07777", step.Src, step.Source, step.Chmod)
		}
		ci.Mode = &llb.ChmodOpt{Mode: os.FileMode(m)}
	}
	return ci, nil
}
