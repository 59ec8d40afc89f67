package manifest

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestUVLock(t *testing.T) {
	fsys := fixture(t, "uv")
	m, main, hashed := lockedSet(t, fsys, UV, uvReqs)
	// shared is a directory source and inventory the project: walked
	// through (anyio comes from shared) but not pinned.
	want := map[string]string{"anyio": "4.4.0", "certifi": "2024.7.4", "h11": "0.14.0", "httpcore": "1.0.5", "httpx": "0.27.0",
		"idna": "3.7", "sniffio": "1.3.1", "uvloop": "0.19.0 ; sys_platform != 'win32'"}
	if !reflect.DeepEqual(main, want) {
		t.Errorf("main = %v, want %v", main, want)
	}
	if !hashed || strings.Count(m.Generated[uvReqs], "--hash=sha256:") != 2*len(want) {
		t.Errorf("want the sdist and wheel hash of every pin:\n%s", m.Generated[uvReqs])
	}
	if len(m.Files) != 0 || m.Files == nil {
		t.Errorf("files = %#v, want an empty list: uv.lock records the project version", m.Files)
	}

	_, test, _ := lockedSet(t, fsys, UV, uvReqs, "test")
	if test["pytest"] != "8.2.2" || test["colorama"] != "0.4.6 ; sys_platform == 'win32'" || test["pluggy"] == "" {
		t.Errorf("test = %v", test)
	}
	if _, ok := test["ruff"]; ok {
		t.Error("test group pulled in the dev group's ruff")
	}
	_, cli, _ := lockedSet(t, fsys, UV, uvReqs, "cli") // an extra
	if _, ok := cli["click"]; !ok || len(cli) != len(want)+2 {
		t.Errorf("cli extra = %v, want main + click + colorama", cli)
	}
	_, err := Detect(fsys, ".", DetectOptions{Groups: []string{"docs"}})
	if err == nil || err.Error() != `uv.lock: the project has no dependency group or extra "docs" (known: cli, dev, test; fix the group name)` {
		t.Errorf("unknown group: error = %v", err)
	}
}

func TestUVLockForkedVersionsAndErrors(t *testing.T) {
	reg := `source = { registry = "https://index.invalid/simple" }`
	lock := `version = 1
revision = 2

[[package]]
name = "app"
version = "1.0.0"
source = { virtual = "." }
dependencies = [
    { name = "numpy", version = "1.26.4", source = { registry = "https://index.invalid/simple" }, marker = "python_full_version < '3.12'" },
    { name = "numpy", version = "2.0.0", source = { registry = "https://index.invalid/simple" }, marker = "python_full_version >= '3.12'" },
]

[[package]]
name = "numpy"
version = "1.26.4"
` + reg + `

[[package]]
name = "numpy"
version = "2.0.0"
` + reg + "\n"
	fsys := fstest.MapFS{"uv.lock": {Data: []byte(lock)}}
	m := detectOne(t, fsys)
	want := "numpy==1.26.4 ; python_full_version < '3.12'\nnumpy==2.0.0 ; python_full_version >= '3.12'\n"
	if !strings.HasSuffix(m.Generated[uvReqs], want) {
		t.Errorf("generated:\n%s\nwant suffix:\n%s", m.Generated[uvReqs], want)
	}

	fsys["uv.lock"] = &fstest.MapFile{Data: []byte(strings.Replace(lock, "version = 1\n", "version = 2\n", 1))}
	if _, err := Detect(fsys, ".", DetectOptions{}); err == nil || err.Error() != "uv.lock: lock version 2 is not supported (stagebuild reads version 1; regenerate it with a current uv lock)" {
		t.Errorf("version 2: error = %v", err)
	}
	fsys["uv.lock"] = &fstest.MapFile{Data: []byte("version = 1\n\n[[package]]\nname = \"numpy\"\nversion = \"2.0.0\"\n" + reg + "\n")}
	if _, err := Detect(fsys, ".", DetectOptions{}); err == nil || err.Error() != `uv.lock: no project package (source editable or virtual ".") in the lock (regenerate it with uv lock in .)` {
		t.Errorf("no project: error = %v", err)
	}
}

func TestPipfileLock(t *testing.T) {
	fsys := fixture(t, "pipenv")
	m, main, hashed := lockedSet(t, fsys, Pipenv, pipenvReqs)
	want := map[string]string{"blinker": "1.8.2 ; python_version >= '3.8'", "click": "8.1.7 ; python_version >= '3.7'", "flask": "3.0.3", "itsdangerous": "2.2.0"}
	if !reflect.DeepEqual(main, want) || !hashed {
		t.Errorf("default = %v (hashed %t), want %v", main, hashed, want)
	}
	if !reflect.DeepEqual(m.Files, []string{"Pipfile.lock"}) {
		t.Errorf("files = %q", m.Files)
	}
	_, dev, _ := lockedSet(t, fsys, Pipenv, pipenvReqs, "dev")
	if len(dev) != len(want)+2 || dev["pytest"] != "8.2.2" {
		t.Errorf("dev = %v", dev)
	}
	if _, err := Detect(fsys, ".", DetectOptions{Groups: []string{"docs"}}); err == nil || err.Error() != `Pipfile.lock: no section for group "docs" (known: default, develop; fix the group name)` {
		t.Errorf("unknown group: error = %v", err)
	}
	fsys["Pipfile.lock"] = &fstest.MapFile{Data: []byte("{\n  \"default\": {\n    \"a\": {,}\n  }\n}\n")}
	if _, err := Detect(fsys, ".", DetectOptions{}); err == nil || err.Error() != "Pipfile.lock:3: invalid JSON: invalid character ',' looking for beginning of object key string (regenerate it with pipenv lock)" {
		t.Errorf("bad JSON: error = %v", err)
	}
	delete(fsys, "Pipfile.lock")
	if _, err := Detect(fsys, ".", DetectOptions{}); err == nil || err.Error() != "Pipfile: no Pipfile.lock next to it (run pipenv lock and add Pipfile.lock to the build context)" {
		t.Errorf("Pipfile without lock: error = %v", err)
	}
}

// Precedence within Python: uv.lock > poetry.lock > Pipfile.lock >
// requirements.txt.
func TestPythonPrecedence(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, name := range []string{"requirements", "pipenv", "poetry2", "uv"} {
		for p, f := range fixture(t, name) {
			fsys[p] = f
		}
	}
	for _, step := range []struct {
		drop string
		want Ecosystem
	}{{"", UV}, {"uv.lock", Poetry}, {"poetry.lock", Pipenv}, {"Pipfile.lock", Pip}} {
		delete(fsys, step.drop)
		if step.drop == "Pipfile.lock" {
			delete(fsys, "Pipfile")
		}
		if got := detectOne(t, fsys).Ecosystem; got != step.want {
			t.Errorf("without %q: ecosystem = %s, want %s", step.drop, got, step.want)
		}
	}
}
