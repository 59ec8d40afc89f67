package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stagebuild plan shows a stage's mounts of other stages under each run
// step, and plans the mounted stage first.
func TestPlanTextMounts(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", t.TempDir())
	dir := t.TempDir()
	files := map[string]string{
		"requirements.txt": "flask==3.0.3\n",
		"stagebuild.yaml": `version: 1
stages:
  uv:
    from: python:3.11-slim-bookworm
    run: mkdir /uv
  deps:
    from: python:3.11-slim-bookworm
    workdir: /app
    copy: [requirements.txt]
    mounts: [{from: uv, source: /uv, target: /opt/uv}]
    run: /opt/uv/uv pip install -r requirements.txt
`}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _ := mainPlan(t, dir, "--target", "deps")
	uv, deps := strings.Index(out, "  uv  FROM image python"), strings.Index(out, "  deps  FROM image python")
	if uv < 0 || deps < uv {
		t.Errorf("uv is not planned before deps:\n%s", out)
	}
	for _, want := range []string{"         mount: uv:/uv at /opt/uv (read-only)\n", "         cache: /root/.cache/uv\n"} {
		if !strings.Contains(out[max(deps, 0):], want) {
			t.Errorf("deps lacks %q:\n%s", want, out)
		}
	}
}
