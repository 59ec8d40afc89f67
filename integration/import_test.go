package integration

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stagebuild import on five Dockerfiles of the shapes teams write: each
// pipeline builds (with its program and smoke checks), the service image
// runs under docker run --network host and answers, and a failing test
// exits 3 and exports nothing.
func TestImport(t *testing.T) {
	tests := []struct {
		project string
		lock    func(t *testing.T, dir string)
		target  string
		notes   []string
		// The service answers GET path on port, or on a port passed in
		// portEnv when port is 0.
		port     int
		portEnv  string
		path     string
		testFile string
		broken   string // appended to testFile: a failing test
		notImage []string
	}{
		{project: "seed000", target: "service", port: 3000, path: "/", testFile: "tests/test_app.py",
			notes: []string{
				"detected: Dockerfile:20: RUN pytest tests runs pytest: stage tests is a gate",
				"converted: Dockerfile:23: ENTRYPOINT [docker-entrypoint.sh] → [/docker-entrypoint.sh]: docker-entrypoint.sh is copied to /, which is not on PATH",
				"converted: stage service is gated_by tests",
			},
			broken:   "\n\ndef test_broken_by_stagebuild_import_test():\n    assert 1 + 1 == 3\n",
			notImage: []string{"/tests", "/test_requirements.txt", "/usr/local/lib/python3.11/dist-packages/pytest", "/usr/local/bin/pytest"}},
		{project: "seed001", target: "prod", port: 8000, path: "/", testFile: "tests/test_foo.py",
			notes: []string{
				"converted: Dockerfile:6: RUN pip install poetry: dropped",
				"converted: Dockerfile:12: RUN poetry install --without dev → SOURCE_DATE_EPOCH=315532800 pip install --no-deps -r requirements.lock.txt",
				"converted: Dockerfile:15: CMD [poetry, run, flask,",
				"converted: Dockerfile:21: stage dev runs pytest as its command: gate tests runs `pytest tests/` in the build (dev stays an image)",
			},
			broken:   "\n\ndef test_broken_by_stagebuild_import_test():\n    assert 1 + 1 == 3\n",
			notImage: []string{"/usr/local/lib/python3.11/dist-packages/pytest", "/usr/local/bin/pytest", "/usr/local/bin/poetry"}},
		{project: "fastapi-uv", lock: uvLock, target: "runtime", port: 8080, path: "/health", testFile: "tests/test_main.py",
			notes: []string{
				"converted: Dockerfile:4: RUN pip install uv: dropped",
				"converted: Dockerfile:19: CMD [uv, run, uvicorn,",
				"detected: Dockerfile:13: RUN pytest -q tests runs pytest: stage test is a gate",
			},
			broken:   "\n\ndef test_broken_by_stagebuild_import_test():\n    assert 1 + 1 == 3\n",
			notImage: []string{"/app/tests", "/usr/local/lib/python3.11/dist-packages/pytest", "/usr/local/bin/uv"}},
		{project: "django", target: "production", port: 8001, path: "/health/", testFile: "mysite/tests.py",
			notes: []string{
				"detected: Dockerfile:11: RUN python manage.py test runs Django's test runner: stage test is a gate",
				"warning: Dockerfile:16: STOPSIGNAL SIGINT: has no equivalent",
			},
			broken: "\n\nclass BrokenByStagebuildImportTest(SimpleTestCase):\n    def test_broken_by_stagebuild_import_test(self):\n        self.assertEqual(1 + 1, 3)\n"},
		{project: "flask-marker", target: "release", portEnv: "PORT", path: "/healthz", testFile: "test_app.py",
			notes: []string{
				"converted: Dockerfile:17: COPY --from=tests /tests-passed: a marker of the tests in tests; stage release is gated_by tests instead",
				"converted: Dockerfile:20: stage release gets a smoke check: GET /healthz",
			},
			broken:   "\n\ndef test_broken_by_stagebuild_import_test():\n    assert 1 + 1 == 3\n",
			notImage: []string{"/tests-passed", "/app/test_app.py", "/usr/local/lib/python3.11/dist-packages/pytest"}},
	}
	for _, tc := range tests {
		t.Run(tc.project, func(t *testing.T) {
			t.Parallel()
			dir := copyTree(t, filepath.Join(repoRoot, "integration", "testdata", "import", tc.project))
			// A random marker keeps this run's source layers its own.
			appendFile(t, filepath.Join(dir, tc.testFile), "\n# test marker "+randomID()+"\n")
			if tc.lock != nil {
				tc.lock(t, dir)
			}
			r := stagebuild(t, dir, "import").mustSucceed(t)
			for _, want := range append(tc.notes, "wrote "+filepath.Join(".", "stagebuild.yaml")) {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("import output lacks %q:\n%s", want, r.stdout)
				}
			}

			image := "stagebuild-it/import-" + tc.project + ":" + randomID()
			t.Cleanup(func() { docker(t, "rmi", "-f", image) })
			b := stagebuildEnv(t, dir, []string{"DOCKER_HOST=" + env.DockerHost}, "build", "--target", tc.target,
				"--progress", "plain", "--load", "-t", image)
			if b.code != 0 {
				t.Fatalf("build --target %s: exit %d\n%s", tc.target, b.code, tail(b.stderr, 60))
			}
			for _, bad := range tc.notImage {
				if out, err := docker(t, "run", "--rm", "--network", "none", "--user", "0", "--entrypoint", "/bin/sh", image, "-c", "test ! -e "+bad); err != nil {
					t.Errorf("the %s image has %s (%v %s)", tc.target, bad, err, out)
				}
			}

			port, args := tc.port, []string{"run", "-d", "--network", "host"}
			if tc.portEnv != "" {
				port = freePort(t)
				args = append(args, "-e", tc.portEnv+"="+strconv.Itoa(port))
			}
			name := "stagebuild-it-" + randomID()
			t.Cleanup(func() { docker(t, "rm", "-f", name) })
			if out, err := docker(t, append(args, "--name", name, image)...); err != nil {
				t.Fatalf("docker run: %v: %s", err, out)
			}
			waitHTTP(t, name, "http://127.0.0.1:"+strconv.Itoa(port)+tc.path)
			docker(t, "rm", "-f", name)

			// Break a test: the gate fails the build and nothing is written.
			appendFile(t, filepath.Join(dir, tc.testFile), tc.broken)
			r = stagebuild(t, dir, "build", "--target", tc.target, "--progress", "plain", "-o", "type=oci,dest=svc.tar")
			if r.code != 3 {
				t.Fatalf("with a broken test: exit %d, want 3 (a gate failed)\n%s", r.code, tail(r.stderr, 40))
			}
			if !strings.Contains(r.stderr, "test_broken_by_stagebuild_import_test") {
				t.Errorf("the failing test is not named:\n%s", tail(r.stderr, 30))
			}
			if _, err := os.Stat(filepath.Join(dir, "svc.tar")); !os.IsNotExist(err) {
				t.Errorf("svc.tar written although the gate failed (%v)", err)
			}
		})
	}
}

// waitHTTP waits up to 60s for url to answer 200, showing the container's
// logs when it does not.
func waitHTTP(t *testing.T, container, url string) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			logs, _ := docker(t, "logs", container)
			t.Fatalf("GET %s: no 200 within 60s (last: %s); container logs:\n%s", url, last, tail(logs, 20))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// The round trip: the imported pipeline builds the image the original
// Dockerfile builds (same files and config), and so does the Dockerfile
// `stagebuild dockerfile` ejects from it; the ejected one runs the tests
// that the original's --target production pruned.
func TestImportRoundTrip(t *testing.T) {
	t.Parallel()
	dir := copyTree(t, filepath.Join(repoRoot, "integration", "testdata", "import", "django"))
	out := t.TempDir()
	logs, err := dockerfileBuild(t, dir, dir, "production", filepath.Join(out, "original.tar"))
	if err != nil {
		t.Fatalf("building the original Dockerfile: %v\n%s", err, tail(logs, 40))
	}
	stagebuild(t, dir, "import").mustSucceed(t)
	stagebuild(t, dir, "build", "--target", "production", "--progress", "quiet",
		"-o", "type=oci,dest="+filepath.Join(out, "stagebuild.tar")).mustSucceed(t)
	dfDir := filepath.Join(out, "df")
	if err := os.MkdirAll(dfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stagebuild(t, dir, "dockerfile", "-o", filepath.Join(dfDir, "Dockerfile")).mustSucceed(t)
	logs, err = dockerfileBuild(t, dir, dfDir, "production", filepath.Join(out, "ejected.tar"))
	if err != nil {
		text, _ := os.ReadFile(filepath.Join(dfDir, "Dockerfile"))
		t.Fatalf("building the ejected Dockerfile: %v\n%s\n%s", err, tail(logs, 40), text)
	}
	original := readImage(t, filepath.Join(out, "original.tar"))
	sameImage(t, original, readImage(t, filepath.Join(out, "stagebuild.tar")), "original Dockerfile", "imported pipeline")
	sameImage(t, original, readImage(t, filepath.Join(out, "ejected.tar")), "original Dockerfile", "ejected Dockerfile")

	// A failing test fails the ejected Dockerfile's production build (the
	// original's --target production never ran the tests).
	appendFile(t, filepath.Join(dir, "mysite", "tests.py"),
		"\n\nclass BrokenByRoundTrip(SimpleTestCase):\n    def test_broken_by_round_trip(self):\n        self.assertEqual(1 + 1, 3)\n")
	failed := filepath.Join(out, "failed.tar")
	logs, err = dockerfileBuild(t, dir, dfDir, "production", failed)
	if err == nil || !strings.Contains(logs, "test_broken_by_round_trip") {
		t.Errorf("the ejected Dockerfile's production build did not fail on the tests: %v\n%s", err, tail(logs, 30))
	}
	if _, err := os.Stat(failed); !os.IsNotExist(err) {
		t.Errorf("the failed build wrote %s", failed)
	}
	if _, err := dockerfileBuild(t, dir, dir, "production", filepath.Join(out, "original2.tar")); err != nil {
		t.Errorf("the original Dockerfile's production build no longer passes with a failing test (it never ran them): %v", err)
	}
}
