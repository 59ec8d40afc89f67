package pipeline

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
)

var (
	portSpec  = regexp.MustCompile(`^[0-9]{1,5}(/(tcp|udp|sctp))?$`)
	ownerSpec = regexp.MustCompile(`^[0-9]+(:[0-9]+)?$`)
	chownSpec = regexp.MustCompile(`^[^\s:]+(:[^\s:]+)?$`)
)

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
	if err := copyFromCycle(p); err != nil {
		return err
	}
	if d := p.Default; d.Value != "" && p.Stage(d.Value) == nil {
		return errorf(d.Pos, "default target %q is not a stage%s", d.Value, didYouMean(d.Value, names))
	}
	return validateServices(p)
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
	for i := range s.Copy {
		c := s.Copy[i]
		if err := validateFetch(s, &s.Copy[i]); err != nil || isSet(c.URL) {
			if err != nil {
				return err
			}
			continue
		}
		src := c.Src.Value
		if isSet(c.From) {
			if err := validateCopyFrom(p, s, c, names); err != nil {
				return err
			}
			continue
		}
		if path.IsAbs(src) || escapes(src) {
			return errorf(c.Src.Pos, "copy of stage %q: %q is outside the build context (use a path relative to the pipeline's directory)",
				s.Name, src)
		}
	}
	for i := range s.Copy {
		if err := validateCopy(s, &s.Copy[i]); err != nil {
			return err
		}
	}
	if err := validateFetchVariants(s); err != nil {
		return err
	}
	if err := validateMounts(p, s, names); err != nil {
		return err
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
	if r := s.Reports; isSet(r) && !path.IsAbs(r.Value) {
		return errorf(r.Pos, "reports of stage %q must be an absolute directory such as /reports, got %q", s.Name, r.Value)
	}
	return validateChecks(s)
}

// validateCopyFrom checks that a copy's from: names another stage.
func validateCopyFrom(p *Pipeline, s *Stage, c Copy, names []string) error {
	f := c.From
	if f.Value == "" {
		return errorf(f.Pos, "from in a copy of stage %q is empty (name a stage, or drop from: to copy from the build context)", s.Name)
	}
	if f.Value == s.Name {
		return errorf(f.Pos, "from in a copy of stage %q: a stage cannot copy from itself (name another stage, or drop from: to copy from the build context)", s.Name)
	}
	if p.Stage(f.Value) == nil {
		return errorf(f.Pos, "from in a copy of stage %q: unknown stage %q%s (a copy reads from a stage of this pipeline or from the build context)",
			s.Name, f.Value, didYouMean(f.Value, names))
	}
	return nil
}

// copyFromCycle finds a cycle through the stages' deps (from:, copy from:
// and mounts:); findCycle has already ruled out one through from: alone, so a
// cycle found here goes through a copy, and the error points at it.
func copyFromCycle(p *Pipeline) error {
	state := map[string]int{} // 1 on the path, 2 done
	var chain []string
	var visit func(s *Stage) error
	visit = func(s *Stage) error {
		switch state[s.Name] {
		case 1:
			cycle := append(append([]string(nil), chain[indexOf(chain, s.Name):]...), s.Name)
			for i := 0; i+1 < len(cycle); i++ {
				a := p.Stage(cycle[i])
				for _, c := range a.Copy {
					if c.From.Value == cycle[i+1] {
						return errorf(c.From.Pos, "stages form a cycle through from: and copy from: %s (copy from a stage that is not built from this one)",
							strings.Join(cycle, " → "))
					}
				}
				for _, m := range a.Mounts {
					if m.From.Value == cycle[i+1] {
						return errorf(m.From.Pos, "stages form a cycle through from: and mounts: %s (mount a stage that is not built from this one)",
							strings.Join(cycle, " → "))
					}
				}
			}
			return nil
		case 2:
			return nil
		}
		state[s.Name] = 1
		chain = append(chain, s.Name)
		for _, d := range s.Deps() {
			if err := visit(p.Stage(d)); err != nil {
				return err
			}
		}
		chain = chain[:len(chain)-1]
		state[s.Name] = 2
		return nil
	}
	for _, s := range p.Stages {
		if err := visit(s); err != nil {
			return err
		}
	}
	return nil
}

// validateCopy checks a copy's chown, chmod and exclude, and rewrites its
// chmod as four octal digits.
func validateCopy(s *Stage, c *Copy) error {
	if isSet(c.Chown) && !chownSpec.MatchString(c.Chown.Value) {
		return errorf(c.Chown.Pos, "chown of a copy of stage %q: %q is not an owner (write user, user:group, uid or uid:gid, such as app or 1000:1000)",
			s.Name, c.Chown.Value)
	}
	if isSet(c.Chmod) {
		m, err := strconv.ParseUint(strings.TrimPrefix(c.Chmod.Value, "0o"), 8, 32)
		if err != nil || m > 0o7777 {
			return errorf(c.Chmod.Pos, "chmod of a copy of stage %q: %q is not an octal file mode up to 07777 (write it like \"0755\")",
				s.Name, c.Chmod.Value)
		}
		c.Chmod.Value = fmt.Sprintf("%04o", m)
	}
	for _, e := range c.Exclude {
		if strings.TrimSpace(e.Value) == "" || path.IsAbs(e.Value) {
			return errorf(e.Pos, "exclude of a copy of stage %q: %q is not a pattern relative to the copy's src (such as *.pyc or tests/)",
				s.Name, e.Value)
		}
	}
	return nil
}

func escapes(rel string) bool {
	clean := path.Clean(rel)
	return clean == ".." || strings.HasPrefix(clean, "../")
}

// isSet tells a key written with an empty value from a key not written.
func isSet(v Value) bool { return v.Pos.Line != 0 }

// validateChecks applies the rules of a stage's checks: that span several
// keys. Each value was judged on its own as it was parsed.
func validateChecks(s *Stage) error {
	c := s.Checks
	if c == nil {
		return nil
	}
	w := func(key string) string { return fmt.Sprintf("%s of stage %q", key, s.Name) }
	for i, f := range c.Files {
		at := fmt.Sprintf("checks.files[%d]", i)
		if !isSet(f.Path) {
			return errorf(f.Pos, "%s has no path: (name an absolute path in the image)", w(at))
		}
		keys := []string{"mode", "owner", "contains"}
		for j, v := range []Value{f.Mode, f.Owner, f.Contains} {
			if !f.Exists && isSet(v) {
				return errorf(v.Pos, "%s: a path checked with exists: false has no %s (remove %s:, or exists: false)",
					w(at+"."+keys[j]), keys[j], keys[j])
			}
		}
	}
	for i, cc := range c.Commands {
		if len(cc.Run.Args) == 0 {
			return errorf(cc.Pos, "%s has no run: (give the command to run in the image)", w(fmt.Sprintf("checks.commands[%d]", i)))
		}
	}
	switch sm := c.Smoke; {
	case sm == nil:
	case sm.HTTP != nil && !isSet(sm.HTTP.Path):
		return errorf(sm.HTTP.Pos, "%s has no path: (write the path to GET, such as path: /health)", w("checks.smoke.http"))
	case isSet(sm.PortEnv) && isSet(sm.Port):
		return errorf(sm.Port.Pos, "%s: port and port_env exclude each other (port_env passes a free port to a service that reads it; port is for one that cannot be told)",
			w("checks.smoke.port"))
	case sm.HTTP != nil && !isSet(sm.PortEnv) && !isSet(sm.Port):
		return errorf(sm.HTTP.Pos, "%s needs port_env: in smoke (the env var through which the service reads its port, such as PORT), or port: (the port it listens on)",
			w("checks.smoke.http"))
	case sm.TCP && !isSet(sm.PortEnv) && !isSet(sm.Port):
		return errorf(sm.Pos, "%s needs port_env: (the env var through which the service reads its port, such as PORT), or port: (the port it listens on)",
			w("checks.smoke.tcp"))
	case sm.HTTP == nil && !sm.TCP && !isSet(sm.Log):
		return errorf(sm.Pos, "%s has neither http:, tcp: nor log: (say how to tell that the service is ready, such as log: \"Listening at\")",
			w("checks.smoke"))
	}
	return nil
}

// judgeText is, per kind of check value, what is wrong with a bad one and
// the fix.
var judgeText = map[string][2]string{
	"path":       {"is not an absolute path", "such as /app"},
	"url path":   {"does not start with /", "such as /health"},
	"mode":       {"is not an octal file mode up to 07777", `write it like "0755"`},
	"owner":      {"is not a numeric owner", `write uid or uid:gid, such as "0:0" or "1000"`},
	"regexp":     {"is an empty regular expression", "to match empty text write ^$, or remove the key"},
	"port":       {"is not a port", "write 3000 or 3000/tcp"},
	"fixed port": {"is not a port from 1 to 65535", "such as 8000"},
	"env name":   {"is not an env var name", "use letters, digits and _, such as PORT"},
	"duration":   {"is not a duration above zero", "such as 30s or 2m"},
}

// judge checks one check value of the given kind ("" accepts any string).
// A mode is rewritten as four octal digits; a YAML integer such as 0755
// keeps its digits as text, so it is read as octal too.
func judge(v *Value, what, kind string) error {
	bad, fix := judgeText[kind][0], judgeText[kind][1]
	ok := true
	switch kind {
	case "path":
		ok = path.IsAbs(v.Value)
	case "url path":
		ok = strings.HasPrefix(v.Value, "/")
	case "mode":
		m, err := strconv.ParseUint(strings.TrimPrefix(v.Value, "0o"), 8, 32)
		if ok = err == nil && m <= 0o7777; ok {
			v.Value = fmt.Sprintf("%04o", m)
		}
	case "owner":
		ok = ownerSpec.MatchString(v.Value)
		for _, id := range strings.Split(v.Value, ":") {
			_, err := strconv.ParseUint(id, 10, 32)
			ok = ok && err == nil
		}
	case "regexp":
		_, err := regexp.Compile(v.Value)
		var se *syntax.Error
		if ok = v.Value != "" && err == nil; errors.As(err, &se) {
			bad, fix = "is not a valid regular expression: "+string(se.Code), `escape characters meant literally with \`
		}
	case "port":
		ok = portSpec.MatchString(v.Value)
	case "fixed port":
		n, err := strconv.Atoi(v.Value)
		ok = err == nil && n >= 1 && n <= 65535
	case "env name":
		ok = envName.MatchString(v.Value)
	case "duration":
		d, err := time.ParseDuration(v.Value)
		ok = err == nil && d > 0
	}
	if !ok {
		return errorf(v.Pos, "%s: %q %s (%s)", what, v.Value, bad, fix)
	}
	return nil
}
