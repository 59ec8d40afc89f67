package integration

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/stagebuild/stagebuild/plan"
)

// planOutput is the part of `stagebuild plan --format json` these tests read.
type planOutput struct {
	Version int `json:"version"`
	Stages  []struct {
		Name string `json:"name"`
	} `json:"stages"`
	From    string `json:"changes_from"`
	Changes *[]struct {
		Kind, Path, Detail string
	} `json:"changes"`
	Rebuild []struct {
		Stage    string `json:"stage"`
		FromStep int    `json:"from_step"`
		Reason   string `json:"reason"`
	} `json:"rebuild"`
}

func planJSON(t *testing.T, dir string, args ...string) planOutput {
	t.Helper()
	r := stagebuild(t, dir, append([]string{"plan", "--target", "service", "--format", "json"}, args...)...).mustSucceed(t)
	var out planOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("plan output: %v\n%s", err, r.stdout)
	}
	if out.Version != plan.Version {
		t.Fatalf("plan version %d, want %d", out.Version, plan.Version)
	}
	return out
}

// predicted is the stages the plan says will run a step of their own.
func (p planOutput) predicted() []string {
	var names []string
	for _, r := range p.Rebuild {
		if r.FromStep >= 0 {
			names = append(names, r.Stage)
		}
	}
	sort.Strings(names)
	return names
}

var stepVertex = regexp.MustCompile(`^\[([a-z0-9_-]+) \d+/\d+\] `)

// executed is the stages with a step vertex that ran rather than came from
// the cache.
func executed(vs map[string]*vertex) []string {
	var names []string
	for name, v := range vs {
		m := stepVertex.FindStringSubmatch(name)
		if m != nil && !v.Cached && v.Started != nil && !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	return names
}

// The plan's prediction for a changed file is what the next build re-runs;
// after that build, the plan sees nothing to do until the next edit.
func TestPlanPredictsRebuilds(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	ownInstalls(t, dir)
	build := func() []string {
		r := stagebuild(t, dir, "build", "--target", "service", "--progress", "rawjson").mustSucceed(t)
		return executed(parseRawJSON(t, r.stderr))
	}
	build()

	appendFile(t, filepath.Join(dir, "app", "__init__.py"), "\n# plan edit "+randomID()+"\n")
	plan := planJSON(t, dir, "--changed", "app/__init__.py")
	if plan.From != "changed" || len(plan.Rebuild) == 0 {
		t.Fatalf("plan --changed: %+v", plan)
	}
	for _, cached := range []string{"deps", "test_deps"} {
		if slices.Contains(plan.predicted(), cached) {
			t.Errorf("plan rebuilds %s for an app edit", cached)
		}
	}
	// The record of the first build tells the same without --changed.
	if rec := planJSON(t, dir); !reflect.DeepEqual(rec.predicted(), plan.predicted()) {
		t.Errorf("plan from the record predicts %q, from --changed %q", rec.predicted(), plan.predicted())
	}
	ran := build()
	t.Logf("plan predicted %q; the build ran steps of %q", plan.predicted(), ran)
	if !reflect.DeepEqual(plan.predicted(), ran) {
		t.Errorf("plan predicted %q to rebuild; the build ran steps of %q", plan.predicted(), ran)
	}

	after := planJSON(t, dir)
	if after.From != "record" || after.Changes == nil || len(*after.Changes) != 0 || len(after.Rebuild) != 0 {
		t.Errorf("plan right after a build: %+v", after)
	}

	appendFile(t, filepath.Join(dir, "tests", "test_api.py"), "\n# plan edit "+randomID()+"\n")
	next := planJSON(t, dir)
	if next.Changes == nil || len(*next.Changes) != 1 || (*next.Changes)[0].Kind != "file" || (*next.Changes)[0].Path != "tests/test_api.py" {
		t.Errorf("plan after editing tests/test_api.py: changes %+v", next.Changes)
	}
	if p := next.predicted(); !slices.Contains(p, "tests_builder") || !slices.Contains(p, "tests") || slices.Contains(p, "builder") {
		t.Errorf("plan after editing tests/test_api.py rebuilds %q", p)
	}
}
