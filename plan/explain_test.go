package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

const explainExample = "../examples/python-service/stagebuild.yaml"

func explainPlan(t *testing.T, target string) *Plan {
	t.Helper()
	p, err := pipeline.Load(explainExample, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := targets.Resolve(p, []string{target})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Make(p, r, os.DirFS(filepath.Dir(explainExample)))
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// copyIndex is the index of the stage's copy step of src.
func explainCopyIndex(t *testing.T, p *Plan, stage, src string) int {
	t.Helper()
	for i, s := range p.Stage(stage).Steps {
		if s.Kind == StepCopy && s.Src == src {
			return i
		}
	}
	t.Fatalf("stage %s copies no %s", stage, src)
	return -1
}

// render is "stage@from<parent" per rebuild, for comparisons.
func renderRebuilds(rs []Rebuild) string {
	var parts []string
	for _, r := range rs {
		s := fmt.Sprintf("%s@%d", r.Stage, r.FromStep)
		if r.Parent != "" {
			s += "<" + r.Parent
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func explainFileChanges(paths ...string) []Change {
	var cs []Change
	for _, p := range paths {
		cs = append(cs, Change{Kind: ChangeFile, Path: p})
	}
	return cs
}

// checkRebuilds checks Explain's answer to file changes stage by stage: a
// stage built FROM a rebuilt stage rebuilds whole, else one with a step
// copying a changed path rebuilds from the first such step, else it is
// cached.
func checkRebuilds(t *testing.T, p *Plan, changed []string, rs []Rebuild) {
	t.Helper()
	got := map[string]Rebuild{}
	for _, r := range rs {
		got[r.Stage] = r
	}
	for _, st := range p.Stages {
		r, ok := got[st.Name]
		first := -1
		for i, s := range st.Steps {
			for _, c := range changed {
				if first < 0 && s.Src != "" && Reads(s.Src, c) && !Excluded(c, p.Context.Excludes) {
					first = i
				}
			}
		}
		if _, parentRebuilt := got[st.Base.Stage]; parentRebuilt && st.Base.Stage != "" {
			if !ok || r.Parent != st.Base.Stage || r.FromStep != min(0, len(st.Steps)-1) {
				t.Errorf("%s: %+v, want a whole rebuild after %s", st.Name, r, st.Base.Stage)
			}
		} else if first >= 0 {
			if !ok || r.Parent != "" || r.FromStep != first {
				t.Errorf("%s: %+v, want a rebuild from step %d", st.Name, r, first)
			}
		} else if ok {
			t.Errorf("%s rebuilds (%+v) but reads no changed file", st.Name, r)
		}
	}
}

func TestExplainFileChanges(t *testing.T) {
	svc, dev := explainPlan(t, "service"), explainPlan(t, "localdev")
	at := func(p *Plan, stage, src string) string {
		return fmt.Sprintf("%s@%d", stage, explainCopyIndex(t, p, stage, src))
	}
	tests := []struct {
		name    string
		plan    *Plan
		changed []string
		want    []string // these rebuilds at least (renderRebuilds form)
		cached  []string
	}{
		{"app file, service", svc, []string{"app/__init__.py"},
			[]string{at(svc, "builder", "app"), "service@0<builder", at(svc, "tests_builder", "app"), "tests@0<tests_builder"},
			[]string{"deps", "test_deps"}},
		{"app file, localdev", dev, []string{"app/__init__.py"},
			[]string{at(dev, "tests_builder", "app"), "localdev@-1<tests_builder"}, []string{"deps", "test_deps"}},
		{"the app dir itself", svc, []string{"app"},
			[]string{at(svc, "builder", "app"), "service@0<builder", at(svc, "tests_builder", "app")}, []string{"deps"}},
		{"requirements", svc, []string{"requirements.txt"},
			[]string{at(svc, "deps", "requirements.txt"), "builder@0<deps", "service@0<builder", "test_deps@0<deps", "tests_builder@0<test_deps", "tests@0<tests_builder"}, nil},
		{"tests only", svc, []string{"tests/test_api.py"},
			[]string{at(svc, "tests_builder", "tests"), "tests@0<tests_builder"}, []string{"deps", "test_deps", "builder", "service"}},
		{"test requirements and tests: the earliest step wins", svc, []string{"tests/test_api.py", "test_requirements.txt"},
			[]string{at(svc, "test_deps", "test_requirements.txt"), "tests_builder@0<test_deps", "tests@0<tests_builder"}, []string{"deps", "builder", "service"}},
		{"entrypoint script", svc, []string{"docker-entrypoint.sh"}, []string{at(svc, "service", "docker-entrypoint.sh")},
			[]string{"deps", "builder", "tests_builder", "tests"}},
		{"a file no step copies", svc, []string{"README.md"}, nil, []string{"deps", "builder", "service", "tests"}},
		{"an excluded file below a copied dir", svc, []string{"app/__pycache__/x.cpython-311.pyc", "tests/.venv/lib/x.py"}, nil,
			[]string{"builder", "tests_builder", "tests"}},
		{"a sibling with a common prefix", svc, []string{"application/x.py", "requirements.txt.bak"}, nil, []string{"deps", "builder"}},
		{"the whole context", svc, []string{"."}, []string{"deps@0", "builder@0<deps", "service@0<builder", "tests@0<tests_builder"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := Explain(tc.plan, explainFileChanges(tc.changed...))
			checkRebuilds(t, tc.plan, tc.changed, rs)
			got := " " + renderRebuilds(rs) + " "
			for _, w := range tc.want {
				if !strings.Contains(got, " "+w+" ") {
					t.Errorf("Explain(%q) = %s; lacks %s", tc.changed, got, w)
				}
			}
			for _, c := range tc.cached {
				if strings.Contains(got, " "+c+"@") {
					t.Errorf("Explain(%q) = %s; rebuilds %s", tc.changed, got, c)
				}
			}
			if (len(tc.want) == 0) != (len(rs) == 0) {
				t.Errorf("Explain(%q) = %s", tc.changed, got)
			}
		})
	}
}

func TestExplainReasons(t *testing.T) {
	svc := explainPlan(t, "service")
	rs := Explain(svc, []Change{{Kind: ChangeFile, Path: "app/__init__.py"}, {Kind: ChangeFile, Path: "app/x.py", Detail: "added"}})
	if len(rs) == 0 || rs[0].Stage != "builder" || rs[0].Reason != "app/__init__.py changed, app/x.py added" {
		t.Fatalf("rebuilds %+v", rs)
	}
	if rs[1].Stage != "service" || rs[1].Reason != "base stage builder rebuilds" {
		t.Errorf("service rebuild %+v", rs[1])
	}
	if Explain(svc, nil) != nil {
		t.Errorf("no change rebuilds %+v", Explain(svc, nil))
	}
}

func TestExplainStepAndBaseChanges(t *testing.T) {
	svc := explainPlan(t, "service")
	tests := []struct {
		name   string
		change Change
		want   string
		reason string
	}{
		{"pipeline change of a later step", Change{Kind: ChangePipeline, Stage: "test_deps", Step: 1, Detail: "step definition changed"},
			"test_deps@1 tests_builder@0<test_deps tests@0<tests_builder", "step definition changed"},
		{"arg change of a leaf", Change{Kind: ChangeArg, Stage: "service", Step: 0}, "service@0", "arg changed"},
		{"trailing steps removed", Change{Kind: ChangePipeline, Stage: "tests_builder", Step: 9}, "tests_builder@-1 tests@0<tests_builder", "pipeline changed"},
		{"a kind added later, by stage", Change{Kind: "secret", Stage: "test_deps", Step: 1}, "test_deps@1 tests_builder@0<test_deps tests@0<tests_builder", "secret changed"},
		{"another base image", Change{Kind: ChangeBase, Path: "busybox:latest"}, "", ""},
		{"a stage not in the plan", Change{Kind: ChangePipeline, Stage: "localdev"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := Explain(svc, []Change{tc.change})
			if got := renderRebuilds(rs); got != tc.want {
				t.Fatalf("\n got: %s\nwant: %s", got, tc.want)
			}
			if len(rs) > 0 && rs[0].Reason != tc.reason {
				t.Errorf("reason %q, want %q", rs[0].Reason, tc.reason)
			}
		})
	}
}

func TestExplainBaseImage(t *testing.T) {
	svc := explainPlan(t, "service")
	img := svc.Stage("deps").Base.Image
	rs := Explain(svc, []Change{{Kind: ChangeBase, Path: img, Detail: "sha256:a → sha256:b"}})
	if len(rs) == 0 || rs[0].Stage != "deps" || rs[0].FromStep != 0 || rs[0].Reason != "base image "+img+" changed sha256:a → sha256:b" {
		t.Fatalf("rebuilds %+v", rs)
	}
	got := map[string]Rebuild{}
	for _, r := range rs {
		got[r.Stage] = r
	}
	for _, st := range svc.Stages {
		_, ok := got[st.Name]
		_, parent := got[st.Base.Stage]
		if want := st.Base.Image == img || parent; ok != want {
			t.Errorf("%s rebuilds: %v, want %v", st.Name, ok, want)
		}
	}
}

func TestReadsAndExcluded(t *testing.T) {
	reads := []struct {
		src, path string
		want      bool
	}{
		{"app", "app/x.py", true}, {"app", "app", true}, {"app/", "app/sub/x.py", true},
		{"app", "apps/x.py", false}, {"app/x.py", "app/y.py", false}, {"app/sub", "app", true},
		{"*.txt", "requirements.txt", true}, {"*.txt", "app/requirements.txt", false}, {"app/*.py", "app/x.py", true},
		{".", "anything/at/all", true}, {"application/x", "app", false}, {"app/sub/x", "app/su", false},
	}
	for _, tc := range reads {
		if got := Reads(tc.src, tc.path); got != tc.want {
			t.Errorf("Reads(%q, %q) = %v", tc.src, tc.path, got)
		}
	}
	excluded := []struct {
		path string
		want bool
	}{
		{".git/config", true}, {"sub/.git", false}, {"a/b/__pycache__/m.pyc", true}, {"x.pyc", true},
		{".venv/bin/python", true}, {"app/node_modules/x/y.js", true}, {"app/x.py", false}, {"pyc", false},
	}
	for _, tc := range excluded {
		if got := Excluded(tc.path, DefaultExcludes()); got != tc.want {
			t.Errorf("Excluded(%q) = %v", tc.path, got)
		}
	}
}
