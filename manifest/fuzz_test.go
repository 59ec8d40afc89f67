package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzRequirements: no requirements file (with its -r/-c includes) panics
// the parser (make fuzz).
func FuzzRequirements(f *testing.F) {
	dir := "testdata/manifests/requirements"
	for _, name := range []string{"requirements.txt.fixture", "requirements-test.txt", "dev_requirements.txt", "constraints.txt"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			f.Add(b, []byte("flask==3.0.0\n"))
		}
	}
	f.Add([]byte("-r base.txt\n-c constraints.txt\nflask[async]>=3 ; python_version>'3.8' \\\n  --hash=sha256:00\n"), []byte("-r requirements.txt\n"))
	f.Fuzz(func(t *testing.T, req, base []byte) {
		fsys := fstest.MapFS{
			"requirements.txt": {Data: req}, "base.txt": {Data: base},
			"constraints.txt": {Data: base}, "sub/requirements.txt": {Data: req},
		}
		_, _, _ = ParseRequirements(fsys, "requirements.txt")
	})
}

// lockKinds are the lockfile layouts FuzzLockfiles writes its input into:
// the lockfile, and the manifest beside it.
var lockKinds = [][2]string{
	{"uv.lock", "pyproject.toml"}, {"poetry.lock", "pyproject.toml"}, {"Pipfile.lock", "Pipfile"},
	{"package-lock.json", "package.json"}, {"yarn.lock", "package.json"}, {"pnpm-lock.yaml", "package.json"},
	{"go.sum", "go.mod"}, {"requirements-test.txt", "requirements.txt"},
}

// FuzzLockfiles: no lockfile or manifest panics Detect, which parses them
// (uv, Poetry, Pipenv, npm, yarn, pnpm, Go modules, requirements).
func FuzzLockfiles(f *testing.F) {
	root := "testdata/manifests"
	for kind, k := range lockKinds {
		for _, sub := range []string{"uv", "poetry1", "poetry2", "poetry15", "pipenv", "npm", "go", "requirements"} {
			lock, err1 := os.ReadFile(filepath.Join(root, sub, k[0]))
			if err1 != nil {
				lock, err1 = os.ReadFile(filepath.Join(root, sub, k[0]+".fixture"))
			}
			man, err2 := os.ReadFile(filepath.Join(root, sub, k[1]))
			if err1 == nil || err2 == nil {
				f.Add(uint8(kind), lock, man)
			}
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, lock, man []byte) {
		k := lockKinds[int(kind)%len(lockKinds)]
		fsys := fstest.MapFS{k[0]: {Data: lock}, k[1]: {Data: man}}
		ms, err := Detect(fsys, ".", DetectOptions{Groups: []string{"dev", "test"}})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			return
		}
		for _, m := range ms {
			if m.Install == "" {
				t.Errorf("%s manifest without an install command", m.Ecosystem)
			}
		}
	})
}

// A control character the TOML decoder quotes from the file stays escaped:
// the error is one line (found by FuzzLockfiles).
func TestTOMLErrorIsOneLine(t *testing.T) {
	fsys := fstest.MapFS{"poetry.lock": {Data: nil}, "pyproject.toml": {Data: []byte("[\n")}}
	_, err := Detect(fsys, ".", DetectOptions{})
	want := `pyproject.toml:1:2: invalid TOML: invalid character at start of key: '\n' (fix the TOML syntax)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
