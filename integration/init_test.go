package integration

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stagebuild init on three differently shaped projects writes a pipeline
// that builds the gated service image, and whose tests gate fails it.
func TestInit(t *testing.T) {
	tests := []struct {
		project  string
		lock     func(t *testing.T, dir string)
		notes    []string
		source   string // a file of the package, relative to the project
		testFile string
		image    []string // files the service image has
		notImage []string // and has not
		entry    []string
	}{
		{project: "flask-requirements", source: "notes/__init__.py", testFile: "tests/test_notes.py",
			notes: []string{"detected: dependencies: requirements.txt (pip, 2 packages)", "detected: test dependencies: requirements-test.txt (pytest)",
				"guessed: entrypoint: gunicorn serving notes:create_app() on port 8000"},
			image:    []string{"/app/notes/__init__.py", "/app/requirements.txt", sitePackages + "flask/__init__.py", sitePackages + "gunicorn/__init__.py"},
			notImage: []string{"/app/tests", "/app/requirements-test.txt", sitePackages + "pytest", sitePackages + "_pytest", "/opt/venv/bin/pytest"},
			entry:    []string{"gunicorn", "--bind", "0.0.0.0:8000", "notes:create_app()"}},
		{project: "poetry-cli", source: "wordcount/counter.py", testFile: "tests/test_counter.py",
			notes: []string{"detected: dependencies: poetry.lock (poetry, 2 packages); requirements.lock.txt is generated from it",
				"detected: entrypoint: python -m wordcount (wordcount/__main__.py)"},
			image:    []string{"/app/wordcount/__main__.py", "/app/requirements.lock.txt", sitePackages + "click/__init__.py"},
			notImage: []string{"/app/tests", "/app/requirements-dev.lock.txt", "/app/pyproject.toml", "/app/poetry.lock", sitePackages + "pytest", sitePackages + "pluggy"},
			entry:    []string{"python", "-m", "wordcount"}},
		{project: "uv-src", lock: uvLock, source: "src/inventory/stock.py", testFile: "tests/test_stock.py",
			notes: []string{"detected: source: src/ layout, package inventory (PYTHONPATH /app/src)",
				"detected: test dependencies: group dev of uv.lock (iniconfig, packaging, pluggy, pytest); requirements-dev.lock.txt is generated from it",
				"guessed: entrypoint: uvicorn serving inventory.api:app on port 8000"},
			image:    []string{"/app/src/inventory/api.py", sitePackages + "fastapi/__init__.py", sitePackages + "uvicorn/__init__.py"},
			notImage: []string{"/app/tests", "/app/uv.lock", "/app/requirements-dev.lock.txt", sitePackages + "pytest", sitePackages + "iniconfig"},
			entry:    []string{"uvicorn", "inventory.api:app", "--host", "0.0.0.0", "--port", "8000"}},
	}
	for _, tc := range tests {
		t.Run(tc.project, func(t *testing.T) {
			t.Parallel()
			dir := copyInitProject(t, tc.project)
			// A random marker keeps this run's source layers its own.
			appendFile(t, filepath.Join(dir, tc.source), "\n# test marker "+randomID()+"\n")
			if tc.lock != nil {
				tc.lock(t, dir)
			}
			r := stagebuild(t, dir, "init").mustSucceed(t)
			for _, want := range append(tc.notes, "wrote "+filepath.Join(".", "stagebuild.yaml")) {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("init output lacks %q:\n%s", want, r.stdout)
				}
			}
			if r := stagebuild(t, dir, "init"); r.code != 2 || !strings.Contains(r.stderr, "stagebuild.yaml already exists (pass --force to overwrite it)") {
				t.Errorf("second init: exit %d, %s", r.code, r.stderr)
			}

			stagebuild(t, dir, "build", "--target", "service", "--progress", "plain", "-o", "type=oci,dest=svc.tar").mustSucceed(t)
			img := readImage(t, filepath.Join(dir, "svc.tar"))
			for _, want := range tc.image {
				if !img.Files[want] {
					t.Errorf("service image lacks %s", want)
				}
			}
			for _, bad := range tc.notImage {
				if hasPrefix(img, bad) {
					t.Errorf("service image ships %s", bad)
				}
			}
			// uv installed the deps from its stage's mount: no uv in the image.
			for _, bad := range []string{"/opt/uv", "/uv", sitePackages + "uv/", sitePackages + "uv-"} {
				if hasPrefix(img, bad) {
					t.Errorf("service image ships uv: %s*", bad)
				}
			}
			if img.Files["/opt/venv/bin/uv"] {
				t.Errorf("service image ships /opt/venv/bin/uv")
			}
			if ep := img.Config.Config.Entrypoint; !slices.Equal(ep, tc.entry) {
				t.Errorf("entrypoint %q, want %q", ep, tc.entry)
			}

			// Break a test: the tests gate fails the build and nothing is written.
			appendFile(t, filepath.Join(dir, tc.testFile), "\n\ndef test_broken_by_stagebuild_init_test():\n    assert 1 + 1 == 3\n")
			os.Remove(filepath.Join(dir, "svc.tar"))
			r = stagebuild(t, dir, "build", "--target", "service", "--progress", "plain", "-o", "type=oci,dest=svc.tar")
			if r.code != 3 {
				t.Fatalf("with a broken test: exit %d, want 3 (a gate failed)\n%s", r.code, tail(r.stderr, 40))
			}
			if !strings.Contains(r.stderr, "test_broken_by_stagebuild_init_test") {
				t.Errorf("the failing test is not named:\n%s", tail(r.stderr, 30))
			}
			if _, err := os.Stat(filepath.Join(dir, "svc.tar")); !os.IsNotExist(err) {
				t.Errorf("svc.tar written although the tests gate failed (%v)", err)
			}
		})
	}
}

// copyInitProject copies testdata/init/NAME into a fresh directory.
func copyInitProject(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join(repoRoot, "testdata", "init", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "__pycache__" || d.Name() == ".venv" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// uvLock writes dir/uv.lock with a uv installed from PyPI into a private
// virtualenv. A uv.lock names the index host, so none is committed.
func uvLock(t *testing.T, dir string) {
	t.Helper()
	venv := filepath.Join(t.TempDir(), "uv-venv")
	env := append(os.Environ(), "UV_PYTHON_DOWNLOADS=never", "UV_NO_PROGRESS=1")
	// uv has its own CA roots and pip may use certifi's: point both at the
	// system store, which trusts the re-signing proxy here (see GUIDE).
	if ca := "/etc/ssl/certs/ca-certificates.crt"; fileExists(ca) {
		env = append(env, "SSL_CERT_FILE="+ca)
		if os.Getenv("PIP_CERT") == "" {
			env = append(env, "PIP_CERT="+ca)
		}
	}
	run := func(name string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to install uv: %v", err)
	}
	run(python, "-m", "venv", venv)
	run(filepath.Join(venv, "bin", "python"), "-m", "pip", "install", "--quiet", "uv")
	run(filepath.Join(venv, "bin", "uv"), "lock", "--python", filepath.Join(venv, "bin", "python"))
	if !fileExists(filepath.Join(dir, "uv.lock")) {
		t.Fatal("uv lock wrote no uv.lock")
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// The service image of the pipeline init writes, built twice from nothing
// with the same SOURCE_DATE_EPOCH, is the same image: a venv without pip
// and installs that write hash-based .pyc write the same bytes each time.
// uv, mounted from its stage, installed the deps and is not in the image.
func TestInitReproducible(t *testing.T) {
	t.Parallel()
	dir := copyInitProject(t, "flask-requirements")
	appendFile(t, filepath.Join(dir, "notes", "__init__.py"), "\n# test marker "+randomID()+"\n")
	stagebuild(t, dir, "init").mustSucceed(t)
	var imgs []ociImage
	for _, out := range []string{"a.tar", "b.tar"} {
		env := append(freshDaemonEnv(t), "SOURCE_DATE_EPOCH="+strconv.Itoa(reproEpoch))
		stagebuildEnv(t, dir, env, "build", "--target", "service", "--progress", "plain", "-o", "type=oci,dest="+out).mustSucceed(t)
		imgs = append(imgs, readOCIImage(t, filepath.Join(dir, out)))
	}
	a, b := imgs[0], imgs[1]
	t.Logf("manifest digests: %s %s", a.manifest.Digest, b.manifest.Digest)
	if a.manifest.Digest != b.manifest.Digest {
		t.Errorf("two builds with SOURCE_DATE_EPOCH=%d differ: %s vs %s", reproEpoch, a.manifest.Digest, b.manifest.Digest)
		reportDiff(t, a, b)
	}
	assertHashPyc(t, a, "flask")
	// uv installed it, from the uv stage's mount, and is not in the image.
	if b, ok := a.file("opt/venv/lib/python3.11/site-packages/flask-3.0.3.dist-info/INSTALLER"); !ok || string(b) != "uv" {
		t.Errorf("flask's INSTALLER is %q (found %v), want uv", b, ok)
	}
	for _, f := range []string{"opt/uv/uv", "uv/uv", "opt/venv/bin/uv"} {
		if _, ok := a.file(f); ok {
			t.Errorf("the image holds %s", f)
		}
	}
}
