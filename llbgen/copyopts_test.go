package llbgen

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/pipeline"
)

// TestCopyOptions marshals a copy with chown, chmod and exclude and reads
// them back from the FileOp's copy action.
func TestCopyOptions(t *testing.T) {
	p, err := pipeline.Parse("p.yaml", []byte(`
stages:
  a:
    from: python:3.11-slim-bookworm
    workdir: /app
    copy:
      - {src: app, chown: "app:1000", chmod: 0640, exclude: ["*.pyc", tests]}
      - {src: bin, to: /usr/local/bin/, chown: "1000"}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, fstest.MapFS{}, "a")
	g, err := Generate(pl, Options{Platform: amd64, Bases: map[string]BaseImage{
		"python:3.11-slim-bookworm": {Ref: pinned, Config: ocispecs.Image{Platform: amd64}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, ops := marshal(t, g, "a")
	copies := map[string]*pb.FileActionCopy{}
	for _, v := range ops {
		if f := v.op.GetFile(); f != nil {
			for _, a := range f.Actions {
				if cp := a.GetCopy(); cp != nil {
					copies[cp.Src] = cp
				}
			}
		}
	}
	app, bin := copies["/app"], copies["/bin"]
	if app == nil || bin == nil {
		t.Fatalf("copies = %v", copies)
	}
	if app.Mode != 0o640 || !slices.Equal(app.ExcludePatterns, []string{"*.pyc", "tests"}) || app.Dest != "/app/app" {
		t.Errorf("app copy mode %o exclude %q dest %s", app.Mode, app.ExcludePatterns, app.Dest)
	}
	if u := app.Owner.GetUser().GetByName(); u == nil || u.Name != "app" {
		t.Errorf("app owner user = %+v, want by name app", app.Owner.GetUser())
	}
	if g := app.Owner.GetGroup().GetByID(); g != 1000 {
		t.Errorf("app owner group = %+v, want id 1000", app.Owner.GetGroup())
	}
	if bin.Owner.GetUser().GetByID() != 1000 || bin.Owner.GetGroup() != nil || bin.Mode != -1 || len(bin.ExcludePatterns) != 0 {
		t.Errorf("bin copy owner %+v mode %d exclude %q", bin.Owner, bin.Mode, bin.ExcludePatterns)
	}
}

// TestCopyFrom: a copy from a stage reads that stage's result, not the
// context, at the path from its root.
func TestCopyFrom(t *testing.T) {
	p, err := pipeline.Parse("p.yaml", []byte(`
stages:
  build:
    from: python:3.11-slim-bookworm
    run: mkdir -p /out && echo hi > /out/app
  app:
    from: python:3.11-slim-bookworm
    workdir: /srv
    copy:
      - {src: out/app, to: bin/app, from: build, chown: "1000"}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, fstest.MapFS{}, "app")
	g, err := Generate(pl, Options{Platform: amd64, Bases: map[string]BaseImage{
		"python:3.11-slim-bookworm": {Ref: pinned, Config: ocispecs.Image{Platform: amd64}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, ops := marshal(t, g, "app")
	var copyOp *pb.Op
	var execDigest string
	for d, v := range ops {
		if v.op.GetExec() != nil && strings.Contains(v.name, "mkdir -p /out") {
			execDigest = string(d)
		}
		if v.name == "[app 1/1] COPY --from=build out/app bin/app" {
			copyOp = v.op
		}
		if v.op.GetSource() != nil && strings.HasPrefix(v.op.GetSource().Identifier, "local://") {
			t.Errorf("app reads the build context: %s", v.op.GetSource().Identifier)
		}
	}
	if copyOp == nil || execDigest == "" {
		t.Fatalf("no copy op or no build exec in %q", names(ops))
	}
	cp := copyOp.GetFile().Actions[0].GetCopy()
	src := copyOp.Inputs[copyOp.GetFile().Actions[0].SecondaryInput]
	if cp.Src != "/out/app" || cp.Dest != "/srv/bin/app" || src.Digest != execDigest || cp.Owner.GetUser().GetByID() != 1000 {
		t.Errorf("copy %s → %s from %s (build exec %s), owner %+v", cp.Src, cp.Dest, src.Digest, execDigest, cp.Owner)
	}
}
