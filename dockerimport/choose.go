package dockerimport

import (
	"strings"

	"github.com/stagebuild/stagebuild/initgen"
)

// chooseProduction picks the service image: a stage named like one, else
// the default target (the last stage) when it is no gate and has no test
// dependencies, else the last such stage that no other stage builds on.
// It is gated by every gate.
func (c *converter) chooseProduction() {
	ok := func(s *stage) bool { return s.Test == nil && !s.eff.gate && !s.eff.testDeps }
	var pick *stage
	why := ""
	for _, n := range initgen.ProductionNames() {
		for _, s := range c.stages {
			if strings.EqualFold(s.Name, n) && ok(s) && pick == nil {
				pick, why = s, "named "+s.Name
			}
		}
	}
	if last := c.byName[c.lastName]; pick == nil && last != nil && ok(last) {
		pick, why = last, "the Dockerfile's default target, without test dependencies"
	}
	if pick == nil {
		for i := len(c.stages) - 1; i >= 0 && pick == nil; i-- {
			if s := c.stages[i]; ok(s) && !c.isBase(s.Name) {
				pick, why = s, "the last stage without test dependencies that no stage builds on"
			}
		}
	}
	if pick == nil {
		c.note("guessed", 0, "no production image: every stage runs tests or installs test dependencies; the default target is the last stage")
		return
	}
	c.production = pick.Name
	var gates []string
	for _, s := range c.stages {
		if s.Test != nil {
			gates = append(gates, s.Name)
		}
	}
	for _, g := range gates {
		if !contains(pick.GatedBy, g) {
			pick.GatedBy = append(pick.GatedBy, g)
		}
	}
	c.purity(pick, gates)
	kind := "guessed"
	if strings.HasPrefix(why, "named") {
		kind = "detected"
	}
	c.note(kind, pick.Line, "production image: stage %s (%s)", pick.Name, why)
	if len(gates) > 0 {
		c.note("converted", 0, "stage %s is gated_by %s: it is exported only when they pass, also with --target %s", pick.Name, strings.Join(gates, ", "), pick.Name)
	} else {
		c.note("guessed", 0, "no stage runs tests (no RUN or command runs a known test runner): stage %s is not gated", pick.Name)
	}
}

func (c *converter) isBase(name string) bool {
	for _, s := range c.stages {
		if s.FromStage && s.From == name {
			return true
		}
	}
	return false
}

// purity switches off the purity check of the production image when a
// test-side stage (one its gates build on, and it does not) installs the
// main dependencies again beside it, as seed-001-shaped prod and dev
// stages do: the check would count them as test-only.
func (c *converter) purity(pick *stage, gates []string) {
	own := map[string]bool{}
	for cur := pick; cur != nil; cur = c.byName[cur.From] {
		own[cur.Name] = true
		if !cur.FromStage {
			break
		}
	}
	for _, g := range gates {
		for cur := c.byName[g]; cur != nil && !own[cur.Name]; cur = c.byName[cur.From] {
			if cur.mainInstall {
				pick.NoPurity = true
				c.note("guessed", 0, "purity: false on %s: stage %s installs the main dependencies again beside it (not on top of it), so the purity check would count them as test-only; build %s FROM %s to keep the check",
					pick.Name, cur.Name, cur.Name, pick.Name)
				return
			}
			if !cur.FromStage {
				break
			}
		}
	}
}
