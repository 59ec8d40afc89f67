package integration

import (
	"os"
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
	out := t.TempDir()
	stagebuild(t, dir, "build", "--target", "service", "--progress", "quiet",
		"-o", "type=oci,dest="+filepath.Join(out, "stagebuild.tar")).mustSucceed(t)

	dfDir := filepath.Join(out, "df")
	if err := os.MkdirAll(dfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stagebuild(t, dir, "dockerfile", "-o", filepath.Join(dfDir, "Dockerfile")).mustSucceed(t)
	text, _ := os.ReadFile(filepath.Join(dfDir, "Dockerfile"))
	if !strings.Contains(string(text), "--mount=type=bind,from=uv,source=/uv,target=/opt/uv") {
		t.Fatalf("the Dockerfile does not mount uv:\n%s", text)
	}
	logs, err := dockerfileBuild(t, dir, dfDir, "service", filepath.Join(out, "dockerfile.tar"))
	if err != nil {
		t.Fatalf("building the ejected Dockerfile: %v\n%s\n%s", err, tail(logs, 40), text)
	}
	sb := readImage(t, filepath.Join(out, "stagebuild.tar"))
	df := readImage(t, filepath.Join(out, "dockerfile.tar"))
	sameImage(t, sb, df, "stagebuild", "dockerfile")
	for name, img := range map[string]map[string]bool{"stagebuild": sb.Files, "dockerfile": df.Files} {
		for f := range img {
			if f == "/opt/uv" || strings.HasPrefix(f, "/opt/uv/") || f == "/uv" || strings.HasPrefix(f, "/uv/") {
				t.Errorf("the %s image holds %s", name, f)
			}
		}
	}
}
