package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stagebuild/stagebuild/pipeline"
)

// fetchStep plans a copy with url: (pipeline/fetch.go).
func fetchStep(c pipeline.Copy) Step {
	step := Step{Kind: StepFetch, URL: c.URL.Value, Checksum: c.Checksum.Value, Dest: c.To.Value,
		Chown: c.Chown.Value, Chmod: c.Chmod.Value, Source: c.Pos.String()}
	for _, p := range c.Platforms {
		step.Platforms = append(step.Platforms, p.Value)
	}
	return step
}

// ForPlatform reports whether a step is built for a platform (normalized,
// such as linux/amd64): every step but a fetch that names other platforms.
func (s Step) ForPlatform(platform string) bool {
	return s.Kind != StepFetch || len(s.Platforms) == 0 || slices.Contains(s.Platforms, platform)
}

// CheckPlatform fails when a stage of the plan fetches a file in
// per-platform variants and has none for platform (normalized, such as
// linux/riscv64): the error names the stage and the platforms it has.
func CheckPlatform(pl *Plan, platform string) error {
	for _, st := range pl.Stages {
		var dests []string
		for _, s := range st.Steps {
			if s.Kind == StepFetch && !slices.Contains(dests, s.Dest) {
				dests = append(dests, s.Dest)
			}
		}
		for _, dest := range dests {
			var has []string
			source, found := "", false
			for _, s := range st.Steps {
				if s.Kind != StepFetch || s.Dest != dest {
					continue
				}
				if source == "" {
					source = s.Source
				}
				found = found || s.ForPlatform(platform)
				has = append(has, s.Platforms...)
			}
			if !found {
				return fmt.Errorf("%s: stage %q fetches %s for %s only, and this build is for %s "+
					"(add a url: entry with platform: %s, or build with --platform %s)",
					source, st.Name, dest, strings.Join(has, ", "), platform, platform, has[0])
			}
		}
	}
	return nil
}

// FetchName is the name a fetch step's file gets in a Dest directory.
func FetchName(url string) string { return pipeline.FetchName(url) }
