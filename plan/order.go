package plan

import (
	"github.com/stagebuild/stagebuild/manifest"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/stagebuild/stagebuild/pipeline"
)

// An installer is a command that installs dependencies from manifests
// only, and the cache directories it fills.
type installer struct {
	name string
	// word is a literal every match contains: commands without it skip
	// the regexp (a 500-stage pipeline has as many commands).
	word   string
	match  *regexp.Regexp
	caches []string
}

var installers = []installer{
	// uv before pip: "uv pip install" is uv's. uv may be run by its path
	// (a mounted /opt/uv/uv).
	{"uv", "uv ", regexp.MustCompile(`(^|[\s;&|(/])uv (sync|pip install)\b`), []string{"/root/.cache/uv"}},
	{"pip", "pip", regexp.MustCompile(`(^|[\s;&|(])(python3? -m )?pip3? install\b`), []string{"/root/.cache/pip"}},
	{"poetry", "poetry install", regexp.MustCompile(`(^|[\s;&|(])poetry install\b`), []string{"/root/.cache/pypoetry"}},
	{"npm", "npm ", regexp.MustCompile(`(^|[\s;&|(])npm (ci|install)\b`), []string{"/root/.npm"}},
	{"yarn", "yarn", regexp.MustCompile(`(^|[\s;&|(])yarn( install)?\b`), []string{"/usr/local/share/.cache/yarn"}},
	{"pnpm", "pnpm ", regexp.MustCompile(`(^|[\s;&|(])pnpm (i|install)\b`), []string{"/root/.local/share/pnpm/store"}},
	{"go", "go mod download", regexp.MustCompile(`(^|[\s;&|(])go mod download\b`), []string{"/go/pkg/mod", "/root/.cache/go-build"}},
}

// neutral commands need no project files: they may run before the sources
// are copied.
var neutral = regexp.MustCompile(`^\s*(python3? -m venv|virtualenv|apt-get|apk|mkdir|useradd|adduser|groupadd|addgroup|pip3? install --upgrade pip)\b`)

// projectInstall installs the project itself, which needs its sources.
var projectInstall = regexp.MustCompile(`(^|\s)(-e|--editable)(\s|=)|(^|\s)\.{1,2}(/\S*)?(\s|$)|setup\.py|poetry install(\s+(?:-\S+\s*)*)?$|uv sync(\s+(?:--\S+\s*)*)?$`)

func commandText(c pipeline.Command) string {
	if c.Shell {
		return c.Args[0]
	}
	return strings.Join(c.Args, " ")
}

// depsOnly reports whether a run command only installs dependencies from
// manifests (so it can run before the sources are copied), and which
// installer it uses.
func depsOnly(c pipeline.Command) (*installer, bool) {
	text := commandText(c)
	for i := range installers {
		in := &installers[i]
		if !strings.Contains(text, in.word) || !in.match.MatchString(text) {
			continue
		}
		if projectInstall.MatchString(text) && !strings.Contains(text, "--no-root") && !strings.Contains(text, "--no-install-project") {
			return in, false
		}
		return in, true
	}
	return nil, neutral.MatchString(text)
}

// isManifestCopy tells a copy of dependency manifests from a copy of sources.
func isManifestCopy(src string) bool {
	return manifest.IsManifest(src) || isRequirements(src)
}

// orderStage plans a stage's copies and runs manifests-first: when every
// run step is a dependency install (or needs no project files), sources
// are copied after the installs, so a source edit keeps the installs
// cached. Otherwise the declared order stays and a warning says why it
// defeats caching. Recognised installs get their cache mounts.
func orderStage(s *pipeline.Stage, st *Stage) []string {
	declared := cacheMounts(s)
	var manifests, runs []Step
	sources := make([]Step, 0, len(s.Copy))
	fromStage := false // a copy from a stage is never moved after the runs
	for _, c := range s.Copy {
		if c.URL.Value != "" { // fetches read no context: first, in file order
			st.Steps = append(st.Steps, fetchStep(c))
			continue
		}
		src := path.Clean(c.Src.Value)
		dest := c.To.Value
		if dest == "" {
			dest = src
		}
		step := Step{Kind: StepCopy, Src: src, Dest: dest, From: c.From.Value, Chown: c.Chown.Value, Chmod: c.Chmod.Value, Source: c.Pos.String()}
		for _, e := range c.Exclude {
			step.Exclude = append(step.Exclude, e.Value)
		}
		if c.From.Value != "" {
			fromStage = true
			sources = append(sources, step)
		} else if isManifestCopy(src) {
			manifests = append(manifests, step)
		} else {
			sources = append(sources, step)
		}
	}
	reorder := len(sources) > 0 && len(s.Run) > 0 && !fromStage
	// Room for every step, the test step stages adds included (a stage
	// without steps keeps nil ones).
	if n := len(s.Copy) + len(s.Run); n > 0 || s.Test != nil {
		st.Steps = slices.Grow(st.Steps, n+1)
	}
	var blocker *pipeline.Command
	for i, c := range s.Run {
		mounts := declared
		in, ok := depsOnly(c)
		if in != nil {
			mounts = withCaches(mounts, in.caches)
		}
		if !ok && blocker == nil {
			blocker = &s.Run[i]
		}
		runs = append(runs, Step{Kind: StepRun, Args: c.Args, Shell: c.Shell, CacheMounts: mounts, Source: c.Pos.String()})
	}
	var warnings []string
	switch {
	case !reorder:
		st.Steps = append(append(append(st.Steps, manifests...), sources...), runs...)
	case blocker == nil:
		st.Steps = append(append(append(st.Steps, manifests...), runs...), sources...)
	default:
		// Keep the declared order: copies first, in file order.
		copies := append(append(make([]Step, 0, len(manifests)+len(sources)), manifests...), sources...)
		st.Steps = slices.Grow(st.Steps, len(copies)+len(runs))
		for _, c := range s.Copy {
			pos := c.Pos.String()
			for _, step := range copies {
				if step.Source == pos {
					st.Steps = append(st.Steps, step)
				}
			}
		}
		st.Steps = append(st.Steps, runs...)
		// Joined rather than formatted: a long chain of stages has one
		// warning each.
		name, cmd, at := strconv.Quote(s.Name), strconv.Quote(commandText(*blocker)), blocker.Pos.String()
		for _, src := range sources {
			warnings = append(warnings, src.Source+": stage "+name+" copies "+src.Src+" before running "+cmd+" ("+at+
				"), so any change to "+src.Src+" re-runs it: "+
				"copy only the dependency manifests in this stage and the sources in a stage built from it (or use install: auto)")
		}
	}
	return warnings
}

// withCaches adds cache mounts for targets not already mounted.
func withCaches(mounts []CacheMount, targets []string) []CacheMount {
	out := append([]CacheMount(nil), mounts...)
	for _, t := range targets {
		seen := false
		for _, m := range out {
			seen = seen || m.Target == t
		}
		if !seen {
			out = append(out, CacheMount{Target: t, ID: "stagebuild:" + t})
		}
	}
	return out
}
