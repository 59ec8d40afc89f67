package plan

import (
	"path"

	"github.com/stagebuild/stagebuild/pipeline"
)

// markSharedLayers flags the copies that more than one stage of the whole
// pipeline makes of the same path to the same place (app/ into /app/app in
// builder and tests_builder). llbgen gives each such copy a layer of its
// own, merged on top of the stage, so it is one blob in every image that
// has it, whichever targets a build asks for. Other copies are plain
// copies: a merge costs more than a copy when there is nothing to share.
func markSharedLayers(p *pipeline.Pipeline, plan *Plan) {
	wd := newWorkdirs(p)
	count := map[string]int{}
	keys := make(map[*pipeline.Stage][]string, len(p.Stages)) // per copy; "" when not plain
	for _, s := range p.Stages {
		ks := make([]string, len(s.Copy))
		for i, c := range s.Copy {
			if plainCopy(c) {
				ks[i] = copyKey(wd, s, c)
				count[ks[i]]++
			}
		}
		keys[s] = ks
	}
	for i := range plan.Stages {
		st := &plan.Stages[i]
		s := p.Stage(st.Name)
		ks := keys[s]
		for j := range st.Steps {
			step := &st.Steps[j]
			if step.Kind != StepCopy {
				continue
			}
			for k, c := range s.Copy {
				if ks[k] != "" && count[ks[k]] > 1 && c.Pos.String() == step.Source {
					step.SharedLayer = true
				}
			}
		}
	}
}

// copyKey names what a copy writes: its source and its destination,
// resolved against the workdir the stage declares or inherits from a stage.
func copyKey(wd *workdirs, s *pipeline.Stage, c pipeline.Copy) string {
	src := path.Clean(c.Src.Value)
	dest := c.To.Value
	if dest == "" {
		dest = src
	}
	if abs := copyDest(wd, s, c); abs != "" {
		dest = abs
	}
	return src + "\x00" + dest
}

// plainCopy is a copy of context files as they are: one with an owner,
// mode or exclusions writes different files, and one from a stage reads no
// context, so neither shares a layer.
func plainCopy(c pipeline.Copy) bool {
	return c.From.Value == "" && c.Chown.Value == "" && c.Chmod.Value == "" && len(c.Exclude) == 0
}
