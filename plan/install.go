package plan

import (
	"fmt"
	"github.com/stagebuild/stagebuild/manifest"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/stagebuild/stagebuild/pipeline"
)

// StepFile writes generated content (Step.Content) to Step.Dest: a
// requirements list derived from a lockfile, for example.
const StepFile StepKind = "file"

// expandInstalls turns every `install:` of the planned stages into steps
// placed before the stage's own: copies of the detected manifests only,
// generated files, and the install command with its cache mounts.
func expandInstalls(p *pipeline.Pipeline, plan *Plan, fsys *contextFS) error {
	includes := map[string]bool{}
	for _, inc := range plan.Context.Includes {
		includes[inc] = true
	}
	for i := range plan.Stages {
		st := &plan.Stages[i]
		s := p.Stage(st.Name)
		if s == nil || s.Install == nil {
			continue
		}
		ms, err := fsys.detect(s.Install)
		if err != nil {
			return err
		}
		var steps []Step
		src := s.Install.Pos.String()
		for _, m := range ms {
			// A requirements list generated from a lockfile stands in for
			// the lockfile: the layer depends on the locked package set of
			// the selected groups alone, not on the lock's metadata.
			files := m.Files
			if len(m.Generated) > 0 {
				files = nil
			}
			for _, f := range files {
				rel := strings.TrimPrefix(f, s.Install.Dir.Value+"/")
				if s.Install.Dir.Value == "." {
					rel = f
				}
				steps = append(steps, Step{Kind: StepCopy, Src: f, Dest: rel, Source: src})
				includes[f] = true
			}
			var names []string
			for name := range m.Generated {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				steps = append(steps, Step{Kind: StepFile, Dest: name, Content: m.Generated[name], Source: src})
			}
			steps = append(steps, Step{Kind: StepRun, Args: []string{m.Install}, Shell: true,
				CacheMounts: withCaches(cacheMounts(s), m.Caches), Source: src})
		}
		st.Steps = append(steps, st.Steps...)
		attachMounts(s, st)
	}
	plan.Context.Includes = plan.Context.Includes[:0]
	for inc := range includes {
		plan.Context.Includes = append(plan.Context.Includes, inc)
	}
	sort.Strings(plan.Context.Includes)
	return nil
}

// contextFS is the build context as the planner reads it. It detects each
// install:'s manifests once, though both the steps and the purity checks of
// the plan need them.
type contextFS struct {
	fs.FS
	detected map[*pipeline.Install][]manifest.Manifest
}

func newContextFS(fsys fs.FS) *contextFS {
	return &contextFS{FS: fsys, detected: map[*pipeline.Install][]manifest.Manifest{}}
}

// detect runs manifest detection for one install: setting.
func (c *contextFS) detect(in *pipeline.Install) ([]manifest.Manifest, error) {
	if ms, ok := c.detected[in]; ok {
		return ms, nil
	}
	var groups []string
	for _, g := range in.Groups {
		groups = append(groups, g.Value)
	}
	ms, err := manifest.Detect(c.FS, in.Dir.Value, manifest.DetectOptions{Groups: groups})
	if err != nil {
		return nil, &pipeline.Error{Pos: in.Pos, Msg: fmt.Sprintf("install: %v", err)}
	}
	if len(ms) == 0 {
		return nil, &pipeline.Error{Pos: in.Pos, Msg: fmt.Sprintf("install: no dependency manifests in %s of the build context "+
			"(looked for requirements.txt, poetry.lock, uv.lock, Pipfile.lock, package.json with a lockfile, go.mod; "+
			"or copy your manifests and write the install under run:)", path.Clean(in.Dir.Value))}
	}
	c.detected[in] = ms
	return ms, nil
}

// installedPackages are the packages the install: of a stage puts in place.
func installedPackages(s *pipeline.Stage, fsys *contextFS) ([]string, error) {
	if s.Install == nil {
		return nil, nil
	}
	ms, err := fsys.detect(s.Install)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Packages...)
	}
	return out, nil
}
