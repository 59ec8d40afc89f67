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

// withConfigChanges applies to a parent stage's state only what the child's
// config changes: a state carries its env as a chain of values, so
// re-applying the whole env per stage would make that chain, and the work
// of every op marshalled from it, grow quadratically with the pipeline
// (36 s for 500 stages, where this takes milliseconds).
func withConfigChanges(st llb.State, parent, cfg ocispecs.Image) llb.State {
	had := make(map[string]bool, len(parent.Config.Env))
	for _, kv := range parent.Config.Env {
		had[kv] = true
	}
	for _, kv := range cfg.Config.Env {
		if !had[kv] {
			k, v, _ := strings.Cut(kv, "=")
			st = st.AddEnv(k, v)
		}
	}
	if cfg.Config.WorkingDir != parent.Config.WorkingDir {
		dir := cfg.Config.WorkingDir
		if dir == "" {
			dir = "/"
		}
		st = st.Dir(dir)
	}
	if cfg.Config.User != parent.Config.User {
		st = st.User(cfg.Config.User)
	}
	return st
}

// withConfig sets the exec environment of st from an image config.
func withConfig(st llb.State, cfg ocispecs.Image) llb.State {
	for _, kv := range cfg.Config.Env {
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
