package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/testenv"
)

// A Poetry project with install: auto: the dependencies come from
// poetry.lock through pip, and a version bump in pyproject.toml keeps the
// dependency layers cached.
func TestPoetryVersionBumpKeepsDepsCached(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "poetry")
	appendFile(t, filepath.Join(dir, "orders", "__init__.py"), "# "+randomID()+"\n")
	stagebuild(t, dir, "build", "--progress", "quiet", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	img, err := testenv.ReadOCITar(filepath.Join(dir, "svc.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if !img.Files["/usr/local/lib/python3.11/dist-packages/flask"] {
		t.Errorf("flask is not installed in the service image")
	}

	py := filepath.Join(dir, "pyproject.toml")
	text, _ := os.ReadFile(py)
	bumped := strings.Replace(string(text), `version = "1.0.0"`, `version = "1.0.1"`, 1)
	if bumped == string(text) {
		t.Fatal("version substitution did not apply")
	}
	writeFile(t, py, bumped)
	r := stagebuild(t, dir, "build", "--progress", "rawjson", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
	vs := parseRawJSON(t, r.stderr)
	for _, name := range []string{"[deps 2/2] RUN pip install --no-deps", "[test_deps 2/2] RUN pip install --no-deps"} {
		if v := find(t, vs, name); !v.Cached {
			t.Errorf("%s ran again after a version bump", v.Name)
		}
	}
}

// The source is one layer: the service and localdev images carry the very
// same blob for app/.
func TestSharedSourceLayer(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	stagebuild(t, dir, "build", "--target", "service", "--target", "localdev", "--progress", "quiet",
		"-o", "service=type=oci,dest=svc.tar", "-o", "localdev=type=oci,dest=dev.tar").mustSucceed(t)
	svc, err := testenv.ReadOCITar(filepath.Join(dir, "svc.tar"))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := testenv.ReadOCITar(filepath.Join(dir, "dev.tar"))
	if err != nil {
		t.Fatal(err)
	}
	// service: base, requirements, venv, pip | app | entrypoint
	// localdev: base, requirements, venv, pip | test requirements, pip | app | tests
	if len(svc.Manifest.Layers) != 6 || len(dev.Manifest.Layers) != 8 {
		t.Fatalf("layers: service %d, localdev %d", len(svc.Manifest.Layers), len(dev.Manifest.Layers))
	}
	if a, b := svc.Manifest.Layers[4].Digest, dev.Manifest.Layers[6].Digest; a != b {
		t.Errorf("the app layer differs: service %s, localdev %s", a, b)
	}
	if a, b := svc.Manifest.Layers[5].Digest, dev.Manifest.Layers[7].Digest; a == b {
		t.Errorf("different copies gave the same layer %s", a)
	}
}
