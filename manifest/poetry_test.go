package manifest

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// lockedSet runs Detect on a fixture and returns the generated pins.
func lockedSet(t *testing.T, fsys fstest.MapFS, eco Ecosystem, key string, groups ...string) (Manifest, map[string]string, bool) {
	t.Helper()
	m := detectOne(t, fsys, groups...)
	if m.Ecosystem != eco {
		t.Fatalf("ecosystem = %s, want %s", m.Ecosystem, eco)
	}
	if m.Install != "pip install --no-deps -r "+key || !reflect.DeepEqual(m.Caches, []string{"/root/.cache/pip"}) {
		t.Fatalf("install/caches = %q %q", m.Install, m.Caches)
	}
	if len(m.Generated) != 1 {
		t.Fatalf("generated = %q, want only %s", keys(m.Generated), key)
	}
	pins, hashed := reqLines(t, m.Generated[key])
	if !reflect.DeepEqual(keys(pins), m.Packages) {
		t.Fatalf("packages %q differ from the generated pins %q", m.Packages, keys(pins))
	}
	return m, pins, hashed
}

func TestPoetry1Categories(t *testing.T) {
	fsys := fixture(t, "poetry1")
	m, main, hashed := lockedSet(t, fsys, Poetry, poetryReqs)
	// mylib is a develop directory dependency: left for the project install.
	want := map[string]string{"certifi": "2023.7.22", "charset-normalizer": "3.2.0", "idna": "3.4", "requests": "2.31.0", "urllib3": "2.0.4"}
	if !reflect.DeepEqual(main, want) {
		t.Errorf("main pins = %v, want %v", main, want)
	}
	if !hashed {
		t.Error("hashes from [metadata.files] missing")
	}
	if !reflect.DeepEqual(m.Files, []string{"poetry.lock"}) {
		t.Errorf("files = %q", m.Files)
	}
	// Three hashes for charset-normalizer (two wheels and the sdist).
	if n := strings.Count(m.Generated[poetryReqs][strings.Index(m.Generated[poetryReqs], "charset-normalizer=="):strings.Index(m.Generated[poetryReqs], "idna==")], "--hash=sha256:"); n != 3 {
		t.Errorf("charset-normalizer has %d hashes, want 3", n)
	}

	_, dev, _ := lockedSet(t, fsys, Poetry, poetryReqs, "dev")
	for _, p := range []string{"pytest", "pluggy", "iniconfig", "packaging", "colorama"} {
		if _, ok := dev[p]; !ok {
			t.Errorf("dev group lacks %s: %v", p, dev)
		}
		if _, ok := main[p]; ok {
			t.Errorf("main has dev package %s", p)
		}
	}
}

func TestPoetry2Groups(t *testing.T) {
	fsys := fixture(t, "poetry2")
	_, main, hashed := lockedSet(t, fsys, Poetry, poetryReqs)
	if got := keys(main); !reflect.DeepEqual(got, []string{"blinker", "click", "colorama", "flask", "itsdangerous", "jinja2", "markupsafe", "werkzeug"}) {
		t.Errorf("main = %q", got)
	}
	if !hashed {
		t.Error("hashes missing")
	}
	if got := main["colorama"]; got != `0.4.6 ; platform_system == "Windows"` {
		t.Errorf("colorama = %q, want the main group's marker", got)
	}

	_, test, _ := lockedSet(t, fsys, Poetry, poetryReqs, "test")
	if got := test["colorama"]; got != `0.4.6 ; (platform_system == "Windows") or (sys_platform == "win32")` {
		t.Errorf("colorama with test = %q, want the markers of both groups or-ed", got)
	}
	for _, p := range []string{"pytest", "pluggy", "iniconfig", "packaging"} {
		if _, ok := test[p]; !ok {
			t.Errorf("test group lacks %s", p)
		}
	}
	if _, ok := test["black"]; ok {
		t.Error("test group pulled in the dev group's black")
	}

	_, dev, _ := lockedSet(t, fsys, Poetry, poetryReqs, "dev")
	if _, ok := dev["black"]; !ok || dev["packaging"] == "" {
		t.Errorf("dev group = %v", dev)
	}
	if _, ok := dev["pytest"]; ok {
		t.Error("dev group pulled in the test group's pytest")
	}

	_, err := Detect(fsys, ".", DetectOptions{Groups: []string{"tset"}})
	if err == nil || err.Error() != `poetry.lock: no dependency group "tset" (known: dev, main, test; fix the group name)` {
		t.Errorf("unknown group: error = %v", err)
	}
}

// Poetry 1.5-1.8 locks carry no groups: the set comes from walking the
// lock from pyproject.toml's declarations.
func TestPoetryLockWithoutGroupsWalksFromPyproject(t *testing.T) {
	fsys := fixture(t, "poetry15")
	_, main, hashed := lockedSet(t, fsys, Poetry, poetryReqs)
	want := map[string]string{
		"certifi": "2024.7.4", "charset-normalizer": "3.3.2", "idna": "3.7", "requests": "2.32.3", "urllib3": "2.2.2",
		"pysocks": "1.7.1", // requests[socks]
		"tomli":   `2.0.1 ; python_version < "3.11"`,
	}
	if !reflect.DeepEqual(main, want) || !hashed {
		t.Errorf("main = %v (hashed %t), want %v", main, hashed, want)
	}
	_, test, _ := lockedSet(t, fsys, Poetry, poetryReqs, "test")
	if test["exceptiongroup"] != `1.2.1 ; python_version < "3.11"` || test["colorama"] != `0.4.6 ; sys_platform == "win32"` || test["pytest"] != "8.2.2" {
		t.Errorf("test = %v", test)
	}
	if _, err := Detect(fsys, ".", DetectOptions{Groups: []string{"docs"}}); err == nil || err.Error() != `poetry.lock: pyproject.toml declares no dependency group "docs" (fix the group name, or add [tool.poetry.group.docs.dependencies])` {
		t.Errorf("unknown group: error = %v", err)
	}
	delete(fsys, "pyproject.toml")
	if _, err := Detect(fsys, ".", DetectOptions{}); err == nil || err.Error() != "poetry.lock: the lock has no group information (Poetry 1.5-1.8) and there is no pyproject.toml next to it (add pyproject.toml to the build context)" {
		t.Errorf("no pyproject: error = %v", err)
	}
	fsys["pyproject.toml"] = &fstest.MapFile{Data: []byte("[tool.poetry.dependencies]\npython = \"^3.11\"\nhttpx = \"*\"\n")}
	if _, err := Detect(fsys, ".", DetectOptions{}); err == nil || err.Error() != `poetry.lock: pyproject.toml depends on "httpx", which is not in the lock (run poetry lock)` {
		t.Errorf("stale lock: error = %v", err)
	}
}

var versionLine = regexp.MustCompile(`(?m)^version = "[^"]*"`)

// A version bump of the project changes neither Files nor Generated, so
// the dependency layer stays cached.
func TestProjectVersionBumpKeepsDependencyLayer(t *testing.T) {
	for _, name := range []string{"poetry1", "poetry2", "poetry15", "uv"} {
		for _, groups := range [][]string{nil, {"test"}} {
			if name == "poetry1" && groups != nil {
				groups = []string{"dev"}
			}
			fsys := fixture(t, name)
			before := detectOne(t, fsys, groups...)
			inputs := map[string]string{}
			for _, f := range before.Files {
				inputs[f] = string(fsys[f].Data)
			}
			bump(t, fsys, "pyproject.toml", name)
			if name == "uv" { // uv lock records the project version too
				bump(t, fsys, "uv.lock", name)
			}
			after := detectOne(t, fsys, groups...)
			if !reflect.DeepEqual(before.Files, after.Files) || !reflect.DeepEqual(before.Generated, after.Generated) {
				t.Errorf("%s %v: version bump changed the layer:\n%+v\n%+v", name, groups, before, after)
			}
			for _, f := range after.Files {
				if string(fsys[f].Data) != inputs[f] {
					t.Errorf("%s: the version bump changed %s, a dependency-layer input", name, f)
				}
			}
		}
	}
}

// bump rewrites the project's version in a file and checks it changed.
func bump(t *testing.T, fsys fstest.MapFS, file, project string) {
	t.Helper()
	old := string(fsys[file].Data)
	var now string
	if file == "uv.lock" {
		now = strings.Replace(old, "name = \"inventory\"\nversion = \"0.3.0\"", "name = \"inventory\"\nversion = \"0.4.0\"", 1)
	} else {
		now = versionLine.ReplaceAllString(old, `version = "9.9.9"`)
	}
	if now == old {
		t.Fatalf("%s: no version to bump in %s", project, file)
	}
	fsys[file] = &fstest.MapFile{Data: []byte(now)}
}

func TestPoetryLockErrors(t *testing.T) {
	fsys := fstest.MapFS{"poetry.lock": {Data: []byte("[[package]]\nname = \"a\"\nversion = = \"1\"\n")}}
	_, err := Detect(fsys, ".", DetectOptions{})
	if err == nil || err.Error() != "poetry.lock:3:11: invalid TOML: incomplete number (regenerate it with poetry lock)" {
		t.Errorf("bad TOML: error = %v", err)
	}
	fsys = fstest.MapFS{"sub/poetry.lock": {Data: []byte("[[package]]\nname = \"a\"\nversion = \"1\"\ncategory = \"main\"\n")},
		"sub/pyproject.toml": {Data: []byte("[tool.poetry\n")}}
	_, err = Detect(fsys, "sub", DetectOptions{})
	if err == nil || err.Error() != "sub/pyproject.toml:1:13: invalid TOML: expected character ] (fix the TOML syntax)" {
		t.Errorf("bad pyproject: error = %v", err)
	}
}

func TestPythonMarker(t *testing.T) {
	for in, want := range map[string]string{
		"<3.11":          `python_version < "3.11"`,
		">=3.8, <3.11":   `python_version >= "3.8" and python_version < "3.11"`,
		"!=3.9.1":        `python_full_version != "3.9.1"`,
		"^3.8":           "",
		"~3.9":           "",
		"*":              "",
		">=3.8 || <3.12": "",
	} {
		if got := pythonMarker(in); got != want {
			t.Errorf("pythonMarker(%q) = %q, want %q", in, got, want)
		}
	}
}
