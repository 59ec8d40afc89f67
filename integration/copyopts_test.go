package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyOptionsPipeline copies with an owner, a mode and exclusions; the run
// step writes what stat sees into file names, so the image's file list
// shows owners and modes.
const copyOptionsPipeline = `version: 1
default: image
stages:
  tool:
    from: busybox:latest
    run: mkdir -p /out/lib && echo made > /out/tool && touch /out/lib/a.so /out/lib/a.log
  image:
    from: busybox:latest
    workdir: /data
    copy:
      - {src: x, chown: "1000:1001", chmod: "0640", exclude: ["*.md"]}
      - {src: y.txt, to: /y.txt, chown: "65534"}
      - {src: /out/tool, to: /usr/local/bin/tool, from: tool, chmod: "0755"}
      - {src: out/lib, to: /opt/lib, from: tool, exclude: ["*.log"]}
    run: touch "/meta-x-$(stat -c %u-%g-%a /data/x/f.txt)" "/meta-y-$(stat -c %u-%a /y.txt)" "/meta-tool-$(stat -c %a /usr/local/bin/tool)"
`

// A copy's chown, chmod, exclude and from (another stage) reach the image built by stagebuild and
// the one built from the ejected Dockerfile, the same way.
func TestDockerfileCopyOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), copyOptionsPipeline)
	if err := os.MkdirAll(filepath.Join(dir, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "x", "f.txt"), randomID())
	writeFile(t, filepath.Join(dir, "x", "README.md"), "left out")
	writeFile(t, filepath.Join(dir, "y.txt"), "y")
	if err := os.Chmod(filepath.Join(dir, "y.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	text, sb, _ := buildBothWays(t, dir, "image")
	if !strings.Contains(text, "COPY --chown=1000:1001 --chmod=0640") || !strings.Contains(text, "--exclude=*.md") ||
		!strings.Contains(text, "COPY --from=tool --chmod=0755 /out/tool /usr/local/bin/tool") {
		t.Errorf("the Dockerfile lacks the copy flags:\n%s", text)
	}
	for _, want := range []string{"/meta-x-1000-1001-640", "/meta-y-65534-644", "/meta-tool-755", "/data/x/f.txt", "/opt/lib/a.so"} {
		if !sb.Files[want] {
			var meta []string
			for f := range sb.Files {
				if strings.HasPrefix(f, "/meta-") {
					meta = append(meta, f)
				}
			}
			t.Errorf("stagebuild's image lacks %s (it has %q)", want, meta)
		}
	}
	for _, bad := range []string{"/data/x/README.md", "/opt/lib/a.log", "/out/tool"} {
		if sb.Files[bad] {
			t.Errorf("stagebuild's image has %s", bad)
		}
	}
}
