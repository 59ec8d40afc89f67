package manifest

import (
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// fixture loads testdata/manifests/<name> into a MapFS rooted at the
// fixture, so tests can change files.
func fixture(t *testing.T, name string) fstest.MapFS {
	t.Helper()
	root := os.DirFS("testdata/manifests/" + name)
	m := fstest.MapFS{}
	err := fs.WalkDir(root, ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, p)
		// Lockfiles and requirements are committed as NAME.fixture, so no
		// file the repository commits under a lockfile's name names a
		// package index (their URLs point at index.invalid anyway).
		m[strings.TrimSuffix(p, ".fixture")] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// detectOne runs Detect and expects exactly one manifest.
func detectOne(t *testing.T, fsys fs.FS, groups ...string) Manifest {
	t.Helper()
	ms, err := Detect(fsys, ".", DetectOptions{Groups: groups})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("Detect found %d manifests, want 1: %+v", len(ms), ms)
	}
	return ms[0]
}

// reqLines parses a generated requirements file into name -> "version ;
// marker" and reports whether every requirement carries a hash.
func reqLines(t *testing.T, content string) (map[string]string, bool) {
	t.Helper()
	out := map[string]string{}
	hashed := true
	for _, l := range logicalLines(content) {
		if strings.HasPrefix(l.text, "-") {
			t.Fatalf("unexpected option line %q", l.text)
		}
		req, opts, _ := strings.Cut(l.text, " --hash=")
		hashed = hashed && opts != ""
		name, rest, ok := strings.Cut(strings.TrimSpace(req), "==")
		if !ok {
			t.Fatalf("line %q is not name==version", l.text)
		}
		if _, dup := out[name]; dup {
			t.Fatalf("%s listed twice", name)
		}
		out[name] = rest
	}
	return out, hashed && len(out) > 0
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sortedKeys(toSet(out))
}

func toSet(xs []string) map[string]bool {
	s := map[string]bool{}
	for _, x := range xs {
		s[x] = true
	}
	return s
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"Flask":              "flask",
		"typing_extensions":  "typing-extensions",
		"zope.interface":     "zope-interface",
		"Foo.-_Bar":          "foo-bar",
		"charset-normalizer": "charset-normalizer",
		"PyYAML":             "pyyaml",
		"a__b..c--d":         "a-b-c-d",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsManifest(t *testing.T) {
	yes := []string{"requirements.txt", "svc/requirements-dev.txt", "test_requirements.txt", "dev-requirements.txt",
		"requirements/test.txt", "pyproject.toml", "a/poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock", "package.json",
		"web/package-lock.json", "yarn.lock", "pnpm-lock.yaml", "go.mod", "./go.sum"}
	no := []string{"README.md", "app/main.py", "requirements.in", "notes.txt", "go.work", "pipfile", "package.json.bak", "lock/uv.lock.txt"}
	for _, p := range yes {
		if !IsManifest(p) {
			t.Errorf("IsManifest(%q) = false, want true", p)
		}
	}
	for _, p := range no {
		if IsManifest(p) {
			t.Errorf("IsManifest(%q) = true, want false", p)
		}
	}
}

func TestDetectNothingAndBadDir(t *testing.T) {
	ms, err := Detect(fstest.MapFS{"app/main.py": {Data: []byte("print(1)\n")}}, ".", DetectOptions{Groups: []string{"test"}})
	if err != nil || len(ms) != 0 {
		t.Fatalf("Detect on a directory without manifests = %v, %v; want nothing", ms, err)
	}
	if _, err := Detect(fstest.MapFS{}, "../up", DetectOptions{}); err == nil || err.Error() != `../up: not a path inside the build context (give a relative slash path such as "." or "svc/api")` {
		t.Fatalf("Detect(../up) error = %v, want one naming the fix", err)
	}
}

// Python, Node and Go in one directory: one manifest each, in that order.
func TestDetectMixedDirectory(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, name := range []string{"poetry2", "npm", "go"} {
		for p, f := range fixture(t, name) {
			fsys["svc/"+p] = f
		}
	}
	ms, err := Detect(fsys, "svc", DetectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Ecosystem
	for _, m := range ms {
		got = append(got, m.Ecosystem)
		for _, f := range m.Files {
			if !strings.HasPrefix(f, "svc/") {
				t.Errorf("%s: file %q is not context-relative", m.Ecosystem, f)
			}
		}
	}
	if want := []Ecosystem{Poetry, NPM, GoMod}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ecosystems = %v, want %v", got, want)
	}
}

func TestWriteRequirementsHashesAllOrNothing(t *testing.T) {
	pins := []pin{{name: "b", version: "2", hashes: []string{"sha256:bb"}}, {name: "a", version: "1", marker: `os_name == "posix"`}}
	got := writeRequirements("x", pins)
	if strings.Contains(got, "--hash") {
		t.Fatalf("hashes written although a pin has none:\n%s", got)
	}
	if !strings.Contains(got, "a==1 ; os_name == \"posix\"\nb==2\n") {
		t.Fatalf("pins not sorted or marker lost:\n%s", got)
	}
	pins[1].hashes = []string{"sha256:aa2", "sha256:aa1", "sha256:aa1"}
	got = writeRequirements("x", pins)
	if want := "a==1 ; os_name == \"posix\" \\\n    --hash=sha256:aa1 \\\n    --hash=sha256:aa2\nb==2 \\\n    --hash=sha256:bb\n"; !strings.HasSuffix(got, want) {
		t.Fatalf("got:\n%s\nwant suffix:\n%s", got, want)
	}
}

func TestWalkGraphMarkers(t *testing.T) {
	a := &gnode{name: "a", deps: []gedge{{name: "c", marker: "m2"}, {name: "b"}}}
	b := &gnode{name: "b", deps: []gedge{{name: "c", marker: "m3"}, {name: "a"}}} // cycle a <-> b
	c := &gnode{name: "c", extras: map[string][]gedge{"x": {{name: "d"}}}}
	d := &gnode{name: "d"}
	nodes := map[string]*gnode{"a": a, "b": b, "c": c, "d": d}
	lookup := func(n, _ string) []*gnode {
		if x := nodes[n]; x != nil {
			return []*gnode{x}
		}
		return nil
	}
	got := walkGraph([]gedge{{name: "a", marker: "m1"}}, lookup)
	want := map[*gnode]string{a: "m1", b: "m1", c: "((m1) and (m2)) or ((m1) and (m3))"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("walk = %v, want %v", got, want)
	}
	got = walkGraph([]gedge{{name: "a", marker: "m1"}, {name: "c", extras: []string{"X"}}}, lookup)
	if got[c] != "" || got[d] != "" || len(got) != 4 {
		t.Fatalf("an unconditional path and an extra should make c and d unconditional: %v", got)
	}
}
