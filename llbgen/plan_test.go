package llbgen

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

// seed000Context is the part of testdata/seed000.yaml's build context the
// planner reads: the manifests its purity check parses.
var seed000Context = fstest.MapFS{
	"requirements.txt":      {Data: []byte("flask==3.0.3\n")},
	"test_requirements.txt": {Data: []byte("pytest==8.2.0\n")},
}

// makePlan resolves the requested targets of p and plans them over the
// build context fsys, as a build does.
func makePlan(tb testing.TB, p *pipeline.Pipeline, fsys fs.FS, requested ...string) *plan.Plan {
	tb.Helper()
	r, err := targets.Resolve(p, requested)
	if err != nil {
		tb.Fatal(err)
	}
	pl, err := plan.Make(p, r, fsys)
	if err != nil {
		tb.Fatal(err)
	}
	return pl
}
