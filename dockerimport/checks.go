package dockerimport

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
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
	if s.Checks != nil {
		s.Checks.Smoke = c.smoke(s, ep, cmd)
	}
}

// smoke proposes a smoke check when the service's port is known: from a
// $...PORT the command reads (port_env), its --port or --bind, a
// HEALTHCHECK URL, or EXPOSE. It GETs the HEALTHCHECK's path or a route
// found in the code, else it waits for the port to accept a connection.
func (c *converter) smoke(s *stage, ep, cmd *initgen.Command) *initgen.Smoke {
	sm := &initgen.Smoke{}
	var whys []string
	for _, x := range []*initgen.Command{ep, cmd} {
		if x == nil || sm.Port != "" || sm.PortEnv != "" {
			continue
		}
		port, env := initgen.CommandPort(x.Args, x.Shell)
		if _, ok := s.eff.env[env]; env != "" && ok {
			sm.PortEnv = env
			whys = append(whys, "the command reads $"+env)
		} else if port != "" {
			sm.Port = port
			whys = append(whys, "port "+port+" from the command")
		}
	}
	h := c.health(s)
	if h != nil {
		if u := healthURL.FindStringSubmatch(strings.Join(h.Test, " ")); u != nil {
			sm.HTTPPath = "/" + u[2]
			if sm.Port == "" && sm.PortEnv == "" && u[1] != "" {
				sm.Port = u[1]
			}
			whys = append(whys, fmt.Sprintf("GET %s from the HEALTHCHECK (%s:%d)", sm.HTTPPath, c.file, h.Line))
		} else {
			c.warn(h.Line, "HEALTHCHECK %s: no URL in it; the smoke check does not run it", strings.Join(h.Test, " "))
		}
	}
	if sm.Port == "" && sm.PortEnv == "" {
		if ports := c.exposed(s); len(ports) > 0 {
			sm.Port = strings.TrimSuffix(ports[0], "/tcp")
			whys = append(whys, "port "+sm.Port+" from EXPOSE")
		}
	}
	if sm.Port == "" && sm.PortEnv == "" {
		c.note("guessed", 0, "no smoke check for stage %s: its port is unknown (no EXPOSE, --port or --bind); add checks.smoke by hand", s.Name)
		return nil
	}
	if _, err := strconv.Atoi(sm.Port); sm.PortEnv == "" && err != nil {
		c.note("guessed", 0, "no smoke check for stage %s: its port %q is not a number", s.Name, sm.Port)
		return nil
	}
	if sm.HTTPPath == "" {
		if route, where := initgen.DetectRoute(c.ctx); route != "" {
			sm.HTTPPath = route
			whys = append(whys, "GET "+route+" found in "+where)
		} else {
			whys = append(whys, "no route found: TCP")
		}
	}
	sm.Why = strings.Join(whys, "; ")
	what := "TCP connect"
	if sm.HTTPPath != "" {
		what = "GET " + sm.HTTPPath
	}
	line := 0
	if h != nil {
		line = h.Line
	}
	c.note("converted", line, "stage %s gets a smoke check: %s (%s)", s.Name, what, sm.Why)
	return sm
}

var healthURL = regexp.MustCompile(`https?://[^/:\s'"]+(?::(\d+))?/([^\s'"]*)`)

// health is the HEALTHCHECK a stage's image has, set by it or a base.
func (c *converter) health(s *stage) *health {
	for cur := s; cur != nil; cur = c.byName[cur.From] {
		if cur.Health != nil {
			return cur.Health
		}
		if !cur.FromStage {
			break
		}
	}
	return nil
}

// exposed are the ports a stage's image exposes, its own first.
func (c *converter) exposed(s *stage) []string {
	var out []string
	for cur := s; cur != nil; cur = c.byName[cur.From] {
		out = append(out, cur.Expose...)
		if !cur.FromStage {
			break
		}
	}
	return out
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
