package dockerfile

import (
	"strings"
	"testing"
)

// TestFetch: a url copy is ADD --checksum; per-platform variants are one
// scratch stage each, a stage picking the build platform's by the
// TARGET* args, and one COPY from it.
func TestFetch(t *testing.T) {
	pl := parsePipeline(t, `
version: 1
stages:
  uv:
    from: python:3.11-slim-bookworm
    copy:
      - {url: "https://example.com/a/uv-x86_64.whl", checksum: sha256:`+strings.Repeat("a", 64)+`, platform: linux/amd64, to: /tmp/uv.whl}
      - {url: "https://example.com/b/uv-aarch64.whl", checksum: sha256:`+strings.Repeat("b", 64)+`, platform: linux/arm64, to: /tmp/uv.whl}
      - {url: "https://example.com/c/tool.tgz?v=1", checksum: sha256:`+strings.Repeat("c", 64)+`, to: /opt/, chmod: 755, chown: "1000"}
    run: python -c "import zipfile; zipfile.ZipFile('/tmp/uv.whl')"
`)
	text, _, _ := generate(t, pl, Options{Pipeline: "p.yaml", Last: "uv"})
	_, body, _ := strings.Cut(text, "# COPY leaves out what stagebuild never sends: .git **/.venv **/__pycache__ **/node_modules **/*.pyc stagebuild-reports.\n")
	want := `
ARG TARGETOS
ARG TARGETARCH
ARG TARGETVARIANT

FROM scratch AS uv-fetch1-linux-amd64
ADD --checksum=sha256:` + strings.Repeat("a", 64) + ` https://example.com/a/uv-x86_64.whl /out/uv.whl

FROM scratch AS uv-fetch1-linux-arm64
ADD --checksum=sha256:` + strings.Repeat("b", 64) + ` https://example.com/b/uv-aarch64.whl /out/uv.whl

FROM uv-fetch1-${TARGETOS}-${TARGETARCH}${TARGETVARIANT} AS uv-fetch1

FROM python:3.11-slim-bookworm AS uv
COPY --from=uv-fetch1 /out/ /tmp/
ADD --chown=1000 --chmod=0755 --checksum=sha256:` + strings.Repeat("c", 64) + ` ["https://example.com/c/tool.tgz?v=1","/opt/"]
RUN python -c "import zipfile; zipfile.ZipFile('/tmp/uv.whl')"
`
	if body != want {
		t.Errorf("got:\n%s\nwant:\n%s", body, want)
	}
}
