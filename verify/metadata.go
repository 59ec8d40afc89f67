package verify

import (
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// Metadata compares the final image config with a metadata check. Unset
// fields of the check are not compared. Exposed ports compare as a set of
// "port/proto"; env and labels need every listed key with exactly the
// listed (literal) value, and ignore keys the check does not list.
func Metadata(c *plan.MetadataCheck, cfg ocispecs.ImageConfig) []Failure {
	if c == nil {
		return nil
	}
	var out []Failure
	fail := func(what, format string, a ...any) {
		out = append(out, Failure{Check: "metadata " + what, Message: fmt.Sprintf(format, a...), Source: c.Source})
	}
	if c.Entrypoint != nil && !reflect.DeepEqual(c.Entrypoint, nonNil(cfg.Entrypoint)) {
		fail("entrypoint", "expected entrypoint %s, found %s", argv(c.Entrypoint), argv(cfg.Entrypoint))
	}
	if c.Cmd != nil && !reflect.DeepEqual(c.Cmd, nonNil(cfg.Cmd)) {
		fail("cmd", "expected cmd %s, found %s", argv(c.Cmd), argv(cfg.Cmd))
	}
	if len(c.Expose) > 0 {
		want, got := portSet(c.Expose), portSet(sortedKeys(cfg.ExposedPorts))
		if missing, extra := minus(want, got), minus(got, want); len(missing)+len(extra) > 0 {
			var why []string
			if len(missing) > 0 {
				why = append(why, "missing "+strings.Join(missing, ", "))
			}
			if len(extra) > 0 {
				why = append(why, "not expected "+strings.Join(extra, ", "))
			}
			fail("expose", "expected exposed ports %s, found %s (%s)", list(want), list(got), strings.Join(why, "; "))
		}
	}
	switch {
	case c.User == plan.NonRoot:
		if IsRoot(cfg.User) {
			fail("user", "expected a non-root user, found %s (the image runs as root; set user: in the stage)", found(cfg.User))
		}
	case c.User != "" && c.User != cfg.User:
		fail("user", "expected user %q, found %s", c.User, found(cfg.User))
	}
	if c.Workdir != "" && path.Clean(c.Workdir) != path.Clean("/"+cfg.WorkingDir) {
		fail("workdir", "expected workdir %q, found %s", c.Workdir, found(cfg.WorkingDir))
	}
	env := map[string]string{}
	for _, e := range cfg.Env {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	for _, k := range sortedKeys(c.Env) {
		if v, ok := env[k]; !ok {
			fail("env "+k, "expected %s=%q, but %s is not set", k, c.Env[k], k)
		} else if v != c.Env[k] {
			fail("env "+k, "expected %s=%q, found %q", k, c.Env[k], v)
		}
	}
	for _, k := range sortedKeys(c.Labels) {
		if v, ok := cfg.Labels[k]; !ok {
			fail("labels "+k, "expected label %s=%q, but the image has no such label", k, c.Labels[k])
		} else if v != c.Labels[k] {
			fail("labels "+k, "expected label %s=%q, found %q", k, c.Labels[k], v)
		}
	}
	return out
}

// IsRoot reports whether an image config user runs as root: no user, or a
// user part (before any ":") of "root" or "0".
func IsRoot(user string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(user), ":")
	return name == "" || name == "root" || name == "0"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// portSet normalises ports to "port/proto", /tcp by default.
func portSet(ports []string) map[string]bool {
	set := map[string]bool{}
	for _, p := range ports {
		p = strings.ToLower(strings.TrimSpace(p))
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		set[p] = true
	}
	return set
}

func minus(a, b map[string]bool) []string {
	var out []string
	for _, k := range sortedKeys(a) {
		if !b[k] {
			out = append(out, k)
		}
	}
	return out
}

func list(set map[string]bool) string {
	if len(set) == 0 {
		return "none"
	}
	return strings.Join(sortedKeys(set), ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
