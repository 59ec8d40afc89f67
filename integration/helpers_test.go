package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

type result struct {
	code           int
	stdout, stderr string
}

// stagebuild runs bin/stagebuild in dir.
func stagebuild(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return stagebuildEnv(t, dir, nil, args...)
}

// stagebuildEnv runs bin/stagebuild in dir with extra environment entries.
func stagebuildEnv(t *testing.T, dir string, extraEnv []string, args ...string) result {
	t.Helper()
	// A hung build must fail its test, not the whole run's time budget.
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ctx.Err() != nil {
		t.Fatalf("stagebuild %s did not finish within %s; stderr head:\n%s", strings.Join(args, " "), buildTimeout, head(r.stderr, 200))
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running stagebuild: %v", err)
	}
	t.Logf("stagebuild %s → exit %d", strings.Join(args, " "), r.code)
	return r
}

func (r result) mustSucceed(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr (tail):\n%s", r.code, tail(r.stderr, 60))
	}
	return r
}

const buildTimeout = 8 * time.Minute

func head(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// copyExample copies examples/python-service into a fresh directory, with a
// random marker in the source so this test's source layers are its own.
func copyExample(t *testing.T) string {
	t.Helper()
	dst := copyTree(t, filepath.Join(repoRoot, "examples", "python-service"))
	appendFile(t, filepath.Join(dst, "app", "__init__.py"), "\n# test marker "+randomID()+"\n")
	return dst
}

// ownInstalls makes the example copy's dependency installs this test's
// own (a unique comment in both requirements files), for tests that assert
// that a second build finds them cached. BuildKit merges an edge into any
// active edge of another build with the same cache key, and an edge that
// executed its op keeps no cache keys, so the steps above it re-run
// (moby/buildkit#4674): a second build of the example while another test's
// build still holds installs it executed would re-run them. Only the
// re-run is wrong, never the result; llbgen's InvocationAttr keeps the
// vertices that every build shares out of it.
func ownInstalls(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"requirements.txt", "test_requirements.txt"} {
		appendFile(t, filepath.Join(dir, f), "# installs of "+t.Name()+" "+randomID()+"\n")
	}
}

// copyTestdata copies integration/testdata/NAME into a fresh directory.
func copyTestdata(t *testing.T, name string) string {
	t.Helper()
	return copyTree(t, filepath.Join(repoRoot, "integration", "testdata", name))
}

// copyTree copies a directory into a fresh one, modes kept, leaving out
// what earlier runs left in it (__pycache__, stagebuild-reports).
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir() && (d.Name() == "__pycache__" || d.Name() == "stagebuild-reports"):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func randomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// vertex is one vertex of a build as rawjson progress reported it.
type vertex struct {
	Name      string
	Started   *time.Time
	Completed *time.Time
	Cached    bool
	Error     string
	Logs      int
}

// parseRawJSON reads --progress rawjson output (one SolveStatus per line)
// and merges the updates per vertex name.
func parseRawJSON(t *testing.T, out string) map[string]*vertex {
	t.Helper()
	byDigest := map[string]*vertex{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var ss client.SolveStatus
		if err := json.Unmarshal(line, &ss); err != nil {
			continue
		}
		for _, v := range ss.Vertexes {
			cur := byDigest[v.Digest.String()]
			if cur == nil {
				cur = &vertex{Name: v.Name}
				byDigest[v.Digest.String()] = cur
			}
			if v.Started != nil && (cur.Started == nil || v.Started.Before(*cur.Started)) {
				cur.Started = v.Started
			}
			if v.Completed != nil {
				cur.Completed = v.Completed
			}
			cur.Cached = cur.Cached || v.Cached
			if v.Error != "" {
				cur.Error = v.Error
			}
		}
		for _, l := range ss.Logs {
			if cur := byDigest[l.Vertex.String()]; cur != nil {
				cur.Logs++
			}
		}
	}
	byName := map[string]*vertex{}
	for _, v := range byDigest {
		byName[v.Name] = v
	}
	if len(byName) == 0 {
		t.Fatalf("no rawjson vertices in output:\n%s", tail(out, 20))
	}
	return byName
}

// find returns the vertex whose name starts with prefix.
func find(t *testing.T, vs map[string]*vertex, prefix string) *vertex {
	t.Helper()
	for name, v := range vs {
		if strings.HasPrefix(name, prefix) {
			return v
		}
	}
	var names []string
	for n := range vs {
		names = append(names, n)
	}
	t.Fatalf("no vertex named %q*; have %q", prefix, names)
	return nil
}
