package targets

import (
	"reflect"
	"testing"

	"github.com/stagebuild/stagebuild/pipeline"
)

// A gate's services bring the stages they run into the build, with the
// stages those are built from.
func TestResolveServiceStages(t *testing.T) {
	const y = `services:
  db: {stage: pg, readiness: {log: ready}}
  api: {stage: app, needs: [db], readiness: {log: ready}}
stages:
  pg_pkgs: {from: debian:12}
  pg: {from: pg_pkgs}
  base: {from: debian:12}
  app: {from: base, gated_by: [ext]}
  ext: {from: base, services: [api], test: 'true'}
  unrelated: {from: debian:12}
`
	p, err := pipeline.Parse("p.yaml", []byte(y), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(p, []string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"base", "app", "ext", "pg_pkgs", "pg"}
	if !reflect.DeepEqual(r.Stages, want) {
		t.Errorf("stages = %v, want %v", r.Stages, want)
	}
}
