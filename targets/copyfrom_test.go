package targets

import (
	"reflect"
	"testing"

	"github.com/stagebuild/stagebuild/pipeline"
)

// A stage that copies from another is built after it, and a gate it copies
// from (directly or through the stage it copies from) guards it.
func TestResolveCopyFrom(t *testing.T) {
	p, err := pipeline.Parse("p.yaml", []byte(`stages:
  deps:
    from: alpine:3
  unit:
    from: deps
    test: "true"
  wheels:
    from: alpine:3
    copy: [{src: /x, from: unit}]
  service:
    from: alpine:3
    copy:
      - {src: /w, from: wheels}
      - app
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(p, []string{"service"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"deps", "unit", "wheels", "service"}; !reflect.DeepEqual(r.Stages, want) {
		t.Errorf("stages = %q, want %q", r.Stages, want)
	}
	want := []Target{{Stage: "service", Gates: []string{"unit"}}}
	if !reflect.DeepEqual(r.Targets, want) {
		t.Errorf("targets = %+v, want %+v", r.Targets, want)
	}
	if got := Guards(p, p.Stage("deps")); len(got) != 0 {
		t.Errorf("deps guarded by %q", got)
	}
}
