package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/testenv"
)

const sitePackages = "/opt/venv/lib/python3.11/site-packages/"

func readImage(t *testing.T, path string) *testenv.OCIImage {
	t.Helper()
	img, err := testenv.ReadOCITar(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return img
}

func hasPrefix(img *testenv.OCIImage, prefix string) bool {
	for f := range img.Files {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

// The service image has the app and its deps, and neither tests nor test deps.
func TestServiceImageShipsNoTests(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	stagebuild(t, dir, "build", "--target", "service", "--progress", "plain",
		"-o", "type=oci,dest=out/service.tar").mustSucceed(t)
	img := readImage(t, filepath.Join(dir, "out", "service.tar"))
	for _, want := range []string{"/app/app/__init__.py", "/app/docker-entrypoint.sh", "/app/requirements.txt", sitePackages + "flask/__init__.py", sitePackages + "gunicorn/__init__.py"} {
		if !img.Files[want] {
			t.Errorf("service image lacks %s", want)
		}
	}
	for _, bad := range []string{"/app/tests", sitePackages + "pytest", sitePackages + "_pytest", "/opt/venv/bin/pytest", "/app/test_requirements.txt"} {
		if hasPrefix(img, bad) {
			t.Errorf("service image ships %s", bad)
		}
	}
	cfg := img.Config.Config
	if !slices.Equal(cfg.Entrypoint, []string{"/app/docker-entrypoint.sh"}) || cfg.WorkingDir != "/app" {
		t.Errorf("config entrypoint %q workdir %q", cfg.Entrypoint, cfg.WorkingDir)
	}
	if _, ok := cfg.ExposedPorts["3000/tcp"]; !ok {
		t.Errorf("config exposes %v", cfg.ExposedPorts)
	}
	if img.Config.Architecture != "amd64" || img.Config.OS != "linux" {
		t.Errorf("platform %s/%s", img.Config.OS, img.Config.Architecture)
	}
}

// localdev carries the test deps and the tests, for IDE interpreters.
func TestLocaldevHasTestDeps(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	stagebuild(t, dir, "build", "--target", "localdev", "--progress", "quiet",
		"-o", "type=oci,dest=localdev.tar").mustSucceed(t)
	img := readImage(t, filepath.Join(dir, "localdev.tar"))
	for _, want := range []string{sitePackages + "pytest/__init__.py", "/opt/venv/bin/pytest", "/app/tests/test_api.py", "/app/app/__init__.py"} {
		if !img.Files[want] {
			t.Errorf("localdev image lacks %s", want)
		}
	}
	if ep := img.Config.Config.Entrypoint; !slices.Equal(ep, []string{"pytest"}) {
		t.Errorf("localdev entrypoint %q", ep)
	}
}

// Each output type, and two targets with their own outputs in one run.
func TestOutputsForSeveralTargets(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	repo := "stagebuild-it/svc-" + randomID()
	stagebuild(t, dir, "build", "--target", "service", "--target", "localdev", "--progress", "plain",
		"-o", "service=type=docker,dest=svc-docker.tar,name=example/svc:1",
		"-o", "service=type=local,dest=svc-fs",
		"-t", "service="+env.RegistryAddr+"/"+repo+":1", "--push",
		"-o", "localdev=type=oci,dest=dev.tar").mustSucceed(t)
	if fi, err := os.Stat(filepath.Join(dir, "svc-docker.tar")); err != nil || fi.Size() == 0 {
		t.Errorf("docker tar: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "svc-fs", "app", "app", "__init__.py")); err != nil {
		t.Errorf("local output: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "svc-fs", "app", "tests")); !os.IsNotExist(err) {
		t.Errorf("local output of service has tests: %v", err)
	}
	dev := readImage(t, filepath.Join(dir, "dev.tar"))
	if !dev.Files[sitePackages+"pytest/__init__.py"] {
		t.Error("localdev output is not the localdev image")
	}
	tags, err := testenv.ListTags(t.Context(), repo)
	if err != nil || !slices.Equal(tags, []string{"1"}) {
		t.Errorf("pushed tags = %q, %v", tags, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*stagebuild-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary outputs left behind: %q", leftovers)
	}
}
