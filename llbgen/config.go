package llbgen

import (
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// stageState is the state a stage starts from: its base's filesystem with
// the exec environment of its config (env, workdir, user, platform) set on
// a value chain of its own. A state looks each value up by walking its chain
// to the nearest setting, and an env setting reads the one before it, so a
// stage that inherited its parent's chain would make every op marshalled in
// it walk the whole ancestry: quadratic in the pipeline's depth (a chain of
// 400 stages took seconds to marshal).
func stageState(out llb.Output, platform ocispecs.Platform, env []string, cfg ocispecs.Image) llb.State {
	st := llb.NewState(out).Platform(platform)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		st = st.AddEnv(k, v)
	}
	dir := cfg.Config.WorkingDir
	if dir == "" {
		dir = "/"
	}
	st = st.Dir(dir)
	if cfg.Config.User != "" {
		st = st.User(cfg.Config.User)
	}
	return st
}

// execEnv is the env a stage's run steps get, in the order BuildKit lists
// it: the parent's, with every variable the stage sets anew moved to the
// end (an env list orders a variable by where it was last set). The image
// config keeps a redefined variable in place instead; keeping BuildKit's
// order keeps the ops, and so their cache keys, what they have been.
func execEnv(parentExec []string, parent, cfg ocispecs.Image) []string {
	had := make(map[string]bool, len(parent.Config.Env))
	for _, kv := range parent.Config.Env {
		had[kv] = true
	}
	// The variables set anew, in order, each where it was set last (an
	// image's config may list one twice). An entry without "=" names no
	// variable: it stays, and removes none.
	var set []string
	var dead []bool
	keys := map[string]bool{}
	last := map[string]int{}
	for _, kv := range cfg.Config.Env {
		if had[kv] {
			continue
		}
		k, _, _ := strings.Cut(kv, "=")
		keys[k] = true
		if i, ok := last[k]; ok {
			dead[i] = true
			delete(last, k)
		}
		if strings.Contains(kv, "=") {
			last[k] = len(set)
		}
		set = append(set, kv)
		dead = append(dead, false)
	}
	out := make([]string, 0, len(parentExec)+len(set))
	for _, kv := range parentExec {
		if k, _, ok := strings.Cut(kv, "="); !ok || !keys[k] {
			out = append(out, kv)
		}
	}
	for i, kv := range set {
		if !dead[i] {
			out = append(out, kv)
		}
	}
	return out
}

// applyConfig layers a stage's config over its base's, as Dockerfile
// instructions would.
func applyConfig(img ocispecs.Image, c plan.Config) ocispecs.Image {
	ic := &img.Config
	if c.Workdir != "" {
		ic.WorkingDir = c.Workdir
	}
	for _, e := range c.Env {
		val := os.Expand(e.Value, func(name string) string { return lookupEnv(ic.Env, name) })
		ic.Env = setEnv(ic.Env, e.Key, val)
	}
	if c.User != "" {
		ic.User = c.User
	}
	if c.Entrypoint != nil {
		ic.Entrypoint = slices.Clone(c.Entrypoint)
		ic.Cmd = nil
	}
	if c.Cmd != nil {
		ic.Cmd = slices.Clone(c.Cmd)
	}
	for _, p := range c.Expose {
		if ic.ExposedPorts == nil {
			ic.ExposedPorts = map[string]struct{}{}
		}
		ic.ExposedPorts[p] = struct{}{}
	}
	for k, v := range c.Labels {
		if ic.Labels == nil {
			ic.Labels = map[string]string{}
		}
		ic.Labels[k] = v
	}
	return img
}

func lookupEnv(env []string, name string) string {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}

func setEnv(env []string, key, val string) []string {
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			env[i] = key + "=" + val
			return env
		}
	}
	return append(env, key+"="+val)
}

func cloneImage(img ocispecs.Image) ocispecs.Image {
	out := img
	c := &out.Config
	c.Env = slices.Clone(img.Config.Env)
	c.Entrypoint = slices.Clone(img.Config.Entrypoint)
	c.Cmd = slices.Clone(img.Config.Cmd)
	c.Volumes = maps.Clone(img.Config.Volumes)
	c.ExposedPorts = maps.Clone(img.Config.ExposedPorts)
	c.Labels = maps.Clone(img.Config.Labels)
	out.History = slices.Clone(img.History)
	out.RootFS.DiffIDs = slices.Clone(img.RootFS.DiffIDs)
	out.OSFeatures = slices.Clone(img.OSFeatures)
	if img.Created != nil {
		t := *img.Created
		out.Created = &t
	}
	return out
}
