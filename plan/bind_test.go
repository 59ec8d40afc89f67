package plan

import (
	"slices"
	"testing"
	"testing/fstest"
)

// A mounted stage is planned before the stage that mounts it; the mount
// reaches that stage's run steps (and only them), uv run by its mounted path
// gets uv's cache and not pip's, and the mounted stage is neither the
// image's lineage nor its test side: the purity check does not look at it.
func TestBindMountsPlanned(t *testing.T) {
	pl := planText(t, `
version: 1
stages:
  deps:
    from: python:3.11-slim-bookworm
    workdir: /app
    copy: [requirements.txt]
    mounts: [{from: uv, source: /uv, target: /opt/uv}]
    run: /opt/uv/uv pip install -r requirements.txt
  uv:
    from: python:3.11-slim-bookworm
    run: pip install --target /uv uv
  tests:
    from: deps
    test: pytest
  service:
    from: deps
    gated_by: [tests]
`, fstest.MapFS{"requirements.txt": {Data: []byte("flask\n")}}, "service")
	var order []string
	for _, st := range pl.Stages {
		order = append(order, st.Name)
	}
	if i, j := slices.Index(order, "uv"), slices.Index(order, "deps"); i < 0 || i > j {
		t.Fatalf("stages planned %q, want uv before deps", order)
	}
	want := []BindMount{{From: "uv", Source: "/uv", Target: "/opt/uv"}}
	for _, step := range pl.Stage("deps").Steps {
		switch step.Kind {
		case StepRun:
			if !slices.Equal(step.BindMounts, want) {
				t.Errorf("deps run mounts %+v, want %+v", step.BindMounts, want)
			}
			if !slices.Equal(step.CacheMounts, []CacheMount{{Target: "/root/.cache/uv", ID: "stagebuild:/root/.cache/uv"}}) {
				t.Errorf("deps run caches %+v, want uv's alone", step.CacheMounts)
			}
		default:
			if step.BindMounts != nil {
				t.Errorf("deps %s step has mounts %+v", step.Kind, step.BindMounts)
			}
		}
	}
	if pur := pl.Stage("service").Purity; pur == nil || len(pur.Installs) != 0 || len(pur.Packages) != 0 {
		t.Errorf("service purity %+v, want nothing forbidden (uv is only mounted)", pur)
	}
}
