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

const fetchYAML = `
stages:
  uv:
    from: python:3.11-slim-bookworm
    copy:
      - {url: "https://example.com/a/uv-x86_64.whl", checksum: sha256:7cc9c41b43d583e34c781fd3446405b06e9c5fa2db468ce2a534d353db6429e5, platform: linux/amd64, to: /tmp/uv.whl}
      - {url: "https://example.com/b/uv-aarch64.whl", checksum: sha256:e89dd26ea831dde70639ba0a798fa04a4c7c0226fd2b241da86218bfa370e495, platform: linux/arm64, to: /tmp/uv.whl, chmod: 755}
      - {url: "https://example.com/c/tool.tgz", checksum: sha256:7cc9c41b43d583e34c781fd3446405b06e9c5fa2db468ce2a534d353db6429e5, to: /opt/}
    run: python -c "import zipfile; zipfile.ZipFile('/tmp/uv.whl')"
`

// TestFetch marshals a stage with per-platform url copies: each platform's
// graph has its own variant as an http source pinned by its checksum,
// copied to the destination; the other variant is not in it.
func TestFetch(t *testing.T) {
	p, err := pipeline.Parse("p.yaml", []byte(fetchYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := makePlan(t, p, fstest.MapFS{}, "uv")
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	for _, tc := range []struct {
		platform       ocispecs.Platform
		url, sum, file string
		mode           int32
	}{
		{amd64, "https://example.com/a/uv-x86_64.whl", "sha256:7cc9c41b43d583e34c781fd3446405b06e9c5fa2db468ce2a534d353db6429e5", "uv-x86_64.whl", -1},
		{arm64, "https://example.com/b/uv-aarch64.whl", "sha256:e89dd26ea831dde70639ba0a798fa04a4c7c0226fd2b241da86218bfa370e495", "uv-aarch64.whl", 0o755},
	} {
		g, err := Generate(pl, Options{Platform: tc.platform})
		if err != nil {
			t.Fatal(err)
		}
		_, ops := marshal(t, g, "uv")
		var sources []*pb.SourceOp
		var cp, tool *pb.FileActionCopy
		for _, v := range ops {
			if s := v.op.GetSource(); s != nil && strings.HasPrefix(s.Identifier, "https://") && !strings.HasSuffix(s.Identifier, ".tgz") {
				sources = append(sources, s)
			}
			if f := v.op.GetFile(); f != nil {
				for _, a := range f.Actions {
					if c := a.GetCopy(); c != nil && c.Src == "/tool.tgz" {
						tool = c
					} else if c != nil {
						cp = c
					}
				}
			}
		}
		if len(sources) != 1 || sources[0].Identifier != tc.url || sources[0].Attrs[pb.AttrHTTPChecksum] != tc.sum ||
			sources[0].Attrs[pb.AttrHTTPFilename] != tc.file {
			t.Fatalf("%s: http sources = %+v", tc.platform.Architecture, sources)
		}
		if cp == nil || cp.Src != "/"+tc.file || cp.Dest != "/tmp/uv.whl" || cp.Mode != tc.mode || !cp.CreateDestPath || cp.AllowWildcard {
			t.Errorf("%s: copy = %+v", tc.platform.Architecture, cp)
		}
		if tool == nil || tool.Dest != "/opt/" {
			t.Errorf("%s: the copy into a directory = %+v, want its dest /opt/", tc.platform.Architecture, tool)
		}
		want := []string{"[fetch] " + tc.url, "[fetch] https://example.com/c/tool.tgz", "[uv 3/4] ADD https://example.com/c/tool.tgz /opt/", "[uv 4/4] RUN python -c \"import zipfile; zipfile.ZipFile('/tmp/uv.whl')\"", "[uv] FROM python:3.11-slim-bookworm"}
		got := slices.DeleteFunc(names(ops), func(n string) bool { return strings.HasPrefix(n, "[uv 1/4]") || strings.HasPrefix(n, "[uv 2/4]") })
		if !slices.Equal(got, want) {
			t.Errorf("%s: names %q, want %q", tc.platform.Architecture, names(ops), want)
		}
	}
	_, err = Generate(pl, Options{Platform: ocispecs.Platform{OS: "linux", Architecture: "riscv64"}})
	if err == nil || !strings.Contains(err.Error(), `stage "uv" fetches /tmp/uv.whl for linux/amd64, linux/arm64 only, and this build is for linux/riscv64`) {
		t.Errorf("riscv64: err = %v", err)
	}
}
