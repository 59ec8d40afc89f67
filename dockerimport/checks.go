package dockerimport

import (
	"path"
	"strings"

	"github.com/stagebuild/stagebuild/initgen"
)

// serviceChecks gives the production image the checks init gives a
// service: its program is on PATH and executable.
func (c *converter) serviceChecks() {
	s := c.byName[c.production]
	if s == nil {
		return
	}
	ep, cmd := c.effectiveCommand(s)
	s.Checks = initgen.ServiceChecks(ep, cmd)
}

// effectiveCommand is the entrypoint and cmd the stage's image runs,
// inherited through its base stages.
func (c *converter) effectiveCommand(s *stage) (ep, cmd *initgen.Command) {
	epSet, cmdSet := false, false
	for cur := s; cur != nil; {
		if !epSet && cur.Entrypoint != nil {
			ep, epSet = cur.Entrypoint, true
			if !cmdSet && cur.Cmd == nil {
				cmdSet = true // an ENTRYPOINT clears the inherited CMD
			}
		}
		if !cmdSet && cur.Cmd != nil {
			cmd, cmdSet = cur.Cmd, true
		}
		if !cur.FromStage {
			break
		}
		cur = c.byName[cur.From]
	}
	return ep, cmd
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// fixPrograms makes a stage's program an absolute path when it names a
// script the stage copied to a directory that is not on PATH: seed 000's
// COPY docker-entrypoint.sh ./ with ENTRYPOINT ["docker-entrypoint.sh"]
// gives an image that cannot start (executable file not found).
func (c *converter) fixPrograms() {
	for _, s := range c.stages {
		for _, f := range []struct {
			what string
			cmd  *initgen.Command
			line int
		}{{"ENTRYPOINT", s.Entrypoint, s.EntrypointLine}, {"CMD", s.Cmd, s.CmdLine}} {
			if f.cmd == nil || f.cmd.Shell || strings.Contains(f.cmd.Args[0], "/") {
				continue
			}
			abs := s.eff.copiedOffPath(f.cmd.Args[0])
			if abs == "" {
				continue
			}
			before := initgen.Flow(f.cmd.Args)
			f.cmd.Args[0] = abs
			c.note("converted", f.line, "%s %s → %s: %s is copied to %s, which is not on PATH, so the image could not start (executable file not found)",
				f.what, before, initgen.Flow(f.cmd.Args), path.Base(abs), path.Dir(abs))
		}
	}
}

// copiedOffPath is the absolute path of a copied file named prog that no
// PATH directory holds, or "".
func (ch chain) copiedOffPath(prog string) string {
	p, ok := ch.env["PATH"]
	if !ok {
		p = defaultPath
	}
	dirs := map[string]bool{}
	for _, d := range strings.Split(p, ":") {
		dirs[path.Clean(d)] = true
	}
	var found []string
	for f := range ch.files {
		if path.Base(f) == prog {
			if dirs[path.Dir(f)] {
				return ""
			}
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}
