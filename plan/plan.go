package plan

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

// StepKind says what a step does.
type StepKind string

const (
	StepCopy StepKind = "copy"
	StepRun  StepKind = "run"
	StepTest StepKind = "test"
	// StepFetch writes a file fetched over http(s) (URL, pinned by
	// Checksum) to Dest; see fetch.go.
	StepFetch StepKind = "fetch"
)

// DefaultExcludes returns the patterns never sent from the build context
// (a new slice on each call).
func DefaultExcludes() []string {
	return []string{".git", "**/.venv", "**/__pycache__", "**/node_modules", "**/*.pyc", "stagebuild-reports"}
}

// Plan is the resolved, ordered build of one invocation.
type Plan struct {
	// Version is the format version (Version) the plan was made with.
	Version  int    `json:"version"`
	Pipeline string `json:"pipeline"`
	// Warnings are findings such as a declared order that defeats caching.
	Warnings []string `json:"warnings,omitempty"`
	Context  Context  `json:"context"`
	Stages   []Stage  `json:"stages"`
	Targets  []Target `json:"targets"`
	// Services are the services the planned gates run beside (services.go).
	Services []Service `json:"services,omitempty"`
}

// Context is what is read from the build context directory.
type Context struct {
	Includes []string `json:"includes"`
	Excludes []string `json:"excludes"`
}

// Target is an export and the gates that guard it.
type Target struct {
	Stage string   `json:"stage"`
	Gates []string `json:"gates,omitempty"`
}

// Base is what a stage starts from: an image or another stage.
type Base struct {
	Image string `json:"image,omitempty"`
	Stage string `json:"stage,omitempty"`
}

// EnvVar is one env entry; values may refer to earlier env as ${NAME}.
type EnvVar struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Config is the image config a stage sets on top of its base. Nil slices
// inherit; Entrypoint set without Cmd clears the inherited Cmd, as in a
// Dockerfile.
type Config struct {
	Workdir    string            `json:"workdir,omitempty"`
	Env        []EnvVar          `json:"env,omitempty"`
	User       string            `json:"user,omitempty"`
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Expose     []string          `json:"expose,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// SecretMount is a --secret mounted as a file (Target) or an env var (Env).
type SecretMount struct {
	ID       string `json:"id"`
	Target   string `json:"target,omitempty"`
	Env      string `json:"env,omitempty"`
	Optional bool   `json:"optional,omitempty"`
}

// CacheMount is a persistent cache directory mounted into a run step.
type CacheMount struct {
	Target string `json:"target"`
	ID     string `json:"id"`
}

// BindMount is a directory of another stage (From, planned before this
// one) mounted read-only at Target into a run or test step: the step sees
// its files, the layer never holds them.
type BindMount struct {
	From   string `json:"from"`
	Source string `json:"source"`
	Target string `json:"target"`
}

// Step is one layer-producing operation.
type Step struct {
	Kind StepKind `json:"kind"`
	// Copy: a path in the build context and its destination, relative to
	// the stage's workdir unless absolute. With From, Src is a path in that
	// stage's filesystem (relative to its root) and the context is not read.
	Src  string `json:"src,omitempty"`
	Dest string `json:"dest,omitempty"`
	From string `json:"from,omitempty"`
	// Copy: the copied files' owner (user[:group]) and mode (four octal
	// digits), and patterns relative to Src left out of the copy.
	Chown   string   `json:"chown,omitempty"`
	Chmod   string   `json:"chmod,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Fetch: the URL, its checksum (sha256:…) and, when set, the only
	// platforms (linux/arm64) the step is for; Dest, Chown and Chmod as
	// for a copy (a Dest ending in / keeps the URL's file name).
	URL       string   `json:"url,omitempty"`
	Checksum  string   `json:"checksum,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	// Run and test: the argv; Shell means Args[0] runs under /bin/sh -c.
	Args []string `json:"args,omitempty"`
	// SharedLayer: several stages copy this path to the same place, so the
	// copy is a layer of its own, the same blob in each of their images.
	SharedLayer bool `json:"shared_layer,omitempty"`
	// Content is what a file step writes.
	Content     string       `json:"content,omitempty"`
	Shell       bool         `json:"shell,omitempty"`
	CacheMounts []CacheMount `json:"cache_mounts,omitempty"`
	// BindMounts are the other stages' files a run or test step sees.
	BindMounts []BindMount `json:"bind_mounts,omitempty"`
	// Secrets and SSH are the build secrets and SSH agents mounted into a
	// run or test step; their content is never in a layer or a cache key.
	Secrets []SecretMount `json:"secrets,omitempty"`
	SSH     []string      `json:"ssh,omitempty"`
	// Source is the pipeline position the step comes from.
	Source string `json:"source"`
}

// Stage is one stage's base, config and steps.
type Stage struct {
	Name string `json:"name"`
	Gate bool   `json:"gate,omitempty"`
	// AllowFailure makes a gate advisory: reported, never blocking.
	AllowFailure bool `json:"allow_failure,omitempty"`
	// Reports is the gate's reports directory, copied to the host.
	Reports string  `json:"reports,omitempty"`
	Checks  *Checks `json:"checks,omitempty"`
	// Purity is the built-in purity check of a gated image, or nil.
	Purity *Purity `json:"purity,omitempty"`
	Base   Base    `json:"base"`
	Config Config  `json:"config"`
	Steps  []Step  `json:"steps"`
	// Services are a gate's services in start order, and ServiceEnv the env
	// entries that read them, set for its test alone (services.go).
	Services   []string `json:"services,omitempty"`
	ServiceEnv []EnvVar `json:"service_env,omitempty"`
}

// Stage returns the planned stage with the given name, or nil.
func (p *Plan) Stage(name string) *Stage {
	for i := range p.Stages {
		if p.Stages[i].Name == name {
			return &p.Stages[i]
		}
	}
	return nil
}

// Version is the plan's format version, the "version" of `stagebuild plan
// --format json`. It changes when a field changes meaning or goes away.
const Version = 2

// Make plans the resolved stages of a pipeline over its build context, the
// one way to get a Plan. Within a stage, copies come before run steps and
// the test command comes last; an install: expands to copies of the
// manifests it detects in the context, and the context's ignore files and
// manifests decide the excludes and the purity checks.
func Make(p *pipeline.Pipeline, r *targets.Resolution, context fs.FS) (*Plan, error) {
	plan, err := stages(p, r)
	if err != nil {
		return nil, err
	}
	ignores, err := readIgnores(context)
	if err != nil {
		return nil, err
	}
	plan.Context.Excludes = append(plan.Context.Excludes, ignores...)
	ctx := newContextFS(context)
	if err := expandInstalls(p, plan, ctx); err != nil {
		return nil, err
	}
	if err := planPurity(p, plan, ctx); err != nil {
		return nil, err
	}
	return plan, nil
}

// stages is the part of the plan the pipeline alone decides. Its error is
// a pattern that does not compile (see Pattern).
func stages(p *pipeline.Pipeline, r *targets.Resolution) (*Plan, error) {
	ps := &patterns{}
	plan := &Plan{Version: Version, Pipeline: p.File, Context: Context{Excludes: DefaultExcludes()}}
	includes := map[string]bool{}
	staged := planStages(p, r.Stages, ps)
	if len(staged) > 0 {
		plan.Stages = make([]Stage, 0, len(staged))
	}
	for _, sp := range staged {
		for _, inc := range sp.includes {
			includes[inc] = true
		}
		plan.Warnings = append(plan.Warnings, sp.warnings...)
		plan.Stages = append(plan.Stages, sp.stage)
	}
	for inc := range includes {
		plan.Context.Includes = append(plan.Context.Includes, inc)
	}
	sort.Strings(plan.Context.Includes)
	markSharedLayers(p, plan)
	for _, t := range r.Targets {
		plan.Targets = append(plan.Targets, Target{Stage: t.Stage, Gates: t.Gates})
	}
	planServices(p, plan, ps) // services.go
	return plan, ps.err
}

func config(s *pipeline.Stage) Config {
	c := Config{Workdir: s.Workdir.Value, User: s.User.Value}
	for _, e := range s.Env {
		c.Env = append(c.Env, EnvVar{Key: e.Key, Value: e.Value})
	}
	if s.Entrypoint != nil {
		c.Entrypoint = s.Entrypoint.Argv()
	}
	if s.Cmd != nil {
		c.Cmd = s.Cmd.Argv()
	}
	for _, e := range s.Expose {
		c.Expose = append(c.Expose, portProto(e.Value))
	}
	if len(s.Labels) > 0 {
		c.Labels = map[string]string{}
		for _, l := range s.Labels {
			c.Labels[l.Key] = l.Value
		}
	}
	return c
}

// portProto adds the default /tcp to a bare port number.
func portProto(port string) string {
	if !strings.Contains(port, "/") {
		port += "/tcp"
	}
	return port
}

// cacheMounts gives each declared cache target an id shared by every stage
// that mounts the same path, so deps and test_deps reuse one pip cache.
func cacheMounts(s *pipeline.Stage) []CacheMount {
	var out []CacheMount
	for _, c := range s.Cache {
		target := path.Clean(c.Value)
		out = append(out, CacheMount{Target: target, ID: "stagebuild:" + target})
	}
	return out
}

// attachMounts gives every run and test step of a stage its secrets, SSH
// agents and other stages' mounts.
func attachMounts(s *pipeline.Stage, st *Stage) {
	var binds []BindMount
	for _, m := range s.Mounts {
		binds = append(binds, BindMount{From: m.From.Value, Source: m.Source.Value, Target: m.Target.Value})
	}
	var secrets []SecretMount
	for _, m := range s.Secrets {
		sm := SecretMount{ID: m.ID.Value, Target: m.Target.Value, Env: m.Env.Value, Optional: m.Optional}
		if sm.Env == "" && sm.Target == "" {
			sm.Target = "/run/secrets/" + sm.ID
		}
		secrets = append(secrets, sm)
	}
	var ssh []string
	for _, id := range s.SSH {
		ssh = append(ssh, id.Value)
	}
	for i := range st.Steps {
		if k := st.Steps[i].Kind; k == StepRun || k == StepTest {
			st.Steps[i].Secrets, st.Steps[i].SSH = secrets, ssh
			st.Steps[i].BindMounts = binds
		}
	}
}
