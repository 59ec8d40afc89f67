package pipeline

import (
	"path"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

var portSpec = regexp.MustCompile(`^[0-9]{1,5}(/(tcp|udp|sctp))?$`)

func validate(p *Pipeline) error {
	names := p.StageNames()
	for _, s := range p.Stages {
		if err := resolveFrom(p, s, names); err != nil {
			return err
		}
	}
	if err := findCycle(p); err != nil {
		return err
	}
	for _, s := range p.Stages {
		if err := validateStage(p, s, names); err != nil {
			return err
		}
	}
	if d := p.Default; d.Value != "" && p.Stage(d.Value) == nil {
		return errorf(d.Pos, "default target %q is not a stage%s", d.Value, didYouMean(d.Value, names))
	}
	return nil
}

// resolveFrom decides whether from names a stage or an image.
func resolveFrom(p *Pipeline, s *Stage, names []string) error {
	v := s.From
	if p.Stage(v.Value) != nil {
		s.FromStage = v.Value
		return nil
	}
	// A bare word close to a stage name is a typo, not an image on Docker Hub.
	if !strings.ContainsAny(v.Value, ":/@") {
		if sug := Suggest(v.Value, names); sug != "" {
			return errorf(v.Pos, "from of stage %q: unknown stage %q (did you mean %q? for an image, add a tag: %s:latest)",
				s.Name, v.Value, sug, v.Value)
		}
	}
	if _, err := reference.ParseNormalizedNamed(v.Value); err != nil {
		return errorf(v.Pos, "from of stage %q: invalid image reference %q: %v", s.Name, v.Value, err)
	}
	return nil
}

// findCycle walks the from-edges, which form a forest unless there is a cycle.
func findCycle(p *Pipeline) error {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	for _, start := range p.Stages {
		var chain []string
		for s := start; s != nil; s = p.Stage(s.FromStage) {
			if state[s.Name] == done {
				break
			}
			if state[s.Name] == onPath {
				i := indexOf(chain, s.Name)
				cycle := append(append([]string(nil), chain[i:]...), s.Name)
				first := p.Stage(cycle[0])
				return errorf(first.From.Pos, "stages form a cycle through from: %s (one of them must start from an image)",
					strings.Join(cycle, " → "))
			}
			state[s.Name] = onPath
			chain = append(chain, s.Name)
		}
		for _, n := range chain {
			state[n] = done
		}
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func validateStage(p *Pipeline, s *Stage, names []string) error {
	for _, g := range s.GatedBy {
		gate := p.Stage(g.Value)
		if gate == nil {
			return errorf(g.Pos, "gated_by of stage %q: unknown stage %q%s", s.Name, g.Value, didYouMean(g.Value, names))
		}
		if !gate.IsGate() {
			return errorf(g.Pos, "gated_by of stage %q: stage %q is not a test stage (give it a test: command, or remove it from gated_by)",
				s.Name, g.Value)
		}
		if g.Value == s.Name {
			return errorf(g.Pos, "gated_by of stage %q: a stage cannot gate itself", s.Name)
		}
	}
	for _, c := range s.Copy {
		src := c.Src.Value
		if path.IsAbs(src) || escapes(src) {
			return errorf(c.Src.Pos, "copy of stage %q: %q is outside the build context (use a path relative to the pipeline's directory)",
				s.Name, src)
		}
	}
	if w := s.Workdir; w.Value != "" && !path.IsAbs(w.Value) {
		return errorf(w.Pos, "workdir of stage %q must be an absolute path, got %q", s.Name, w.Value)
	}
	for _, c := range s.Cache {
		if !path.IsAbs(c.Value) {
			return errorf(c.Pos, "cache of stage %q: %q must be an absolute path such as /root/.cache/pip", s.Name, c.Value)
		}
	}
	for _, e := range s.Expose {
		if !portSpec.MatchString(e.Value) {
			return errorf(e.Pos, "expose of stage %q: %q is not a port (write 3000 or 3000/tcp)", s.Name, e.Value)
		}
	}
	return nil
}

func escapes(rel string) bool {
	clean := path.Clean(rel)
	return clean == ".." || strings.HasPrefix(clean, "../")
}
