package integration

import (
	"path/filepath"
	"strings"
	"testing"
)

// The pipeline init writes, which installs with a uv stage mounted into
// deps and test_deps, ejects to a Dockerfile whose RUN --mount=type=bind
// lines build the same service image with BuildKit's Dockerfile frontend;
// neither image holds uv or the mount point.
func TestDockerfileUVMount(t *testing.T) {
	t.Parallel()
	dir := copyInitProject(t, "flask-requirements")
	appendFile(t, filepath.Join(dir, "notes", "__init__.py"), "\n# test marker "+randomID()+"\n")
	stagebuild(t, dir, "init").mustSucceed(t)
	text, sb, df := buildBothWays(t, dir, "service")
	if !strings.Contains(text, "--mount=type=bind,from=uv,source=/uv,target=/opt/uv") {
		t.Errorf("the Dockerfile does not mount uv:\n%s", text)
	}
	for name, img := range map[string]map[string]bool{"stagebuild": sb.Files, "dockerfile": df.Files} {
		for f := range img {
			if f == "/opt/uv" || strings.HasPrefix(f, "/opt/uv/") || f == "/uv" || strings.HasPrefix(f, "/uv/") {
				t.Errorf("the %s image holds %s", name, f)
			}
		}
	}
}
