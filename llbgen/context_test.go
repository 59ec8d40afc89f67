package llbgen

import (
	"testing"
	"testing/fstest"

	"github.com/moby/buildkit/solver/pb"

	"github.com/stagebuild/stagebuild/pipeline"
)

// copy: [.] sends the whole context: fsutil's include pattern "." would
// match nothing (a Dockerfile's COPY ./ ./, imported, copied no file).
func TestWholeContextCopyHasNoIncludePattern(t *testing.T) {
	p, err := pipeline.Parse("stagebuild.yaml", []byte("version: 1\ndefault: s\nstages:\n  s:\n    from: busybox\n    copy: [., app]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := fstest.MapFS{"app/a.py": {Data: []byte("x")}, "b.txt": {Data: []byte("y")}}
	g, err := Generate(makePlan(t, p, ctx), Options{Platform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	_, ops := marshal(t, g, "s")
	seen := map[string]string{}
	for _, v := range ops {
		if o, ok := v.op.Op.(*pb.Op_Source); ok && o.Source.Identifier == "local://context" {
			seen[v.name] = o.Source.Attrs[pb.AttrIncludePatterns]
		}
	}
	if inc, ok := seen["[context] ."]; !ok || inc != "" {
		t.Errorf("[context] . has include patterns %q (present: %v)", inc, ok)
	}
	if inc := seen["[context] app"]; inc != `["app"]` {
		t.Errorf("[context] app has include patterns %q", inc)
	}
}
