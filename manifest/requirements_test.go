package manifest

import (
	"reflect"
	"testing"
	"testing/fstest"
)

func TestParseRequirementsFixture(t *testing.T) {
	files, pkgs, err := ParseRequirements(fixture(t, "requirements"), "requirements.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"requirements.txt", "requirements/base.txt", "constraints.txt"}; !reflect.DeepEqual(files, want) {
		t.Errorf("files = %q, want %q", files, want)
	}
	// Constraints (urllib3, certifi), the project (-e .) and a local wheel
	// contribute no names; the git URL contributes its #egg= name.
	want := []string{"audit-log", "flask", "gunicorn", "pyyaml", "requests", "typing-extensions", "uvloop", "zope-interface"}
	if !reflect.DeepEqual(pkgs, want) {
		t.Errorf("packages = %q, want %q", pkgs, want)
	}
}

func TestRequirementName(t *testing.T) {
	for line, want := range map[string]string{
		`Flask[async]==3.0.3 ; python_version >= "3.8"`:   "Flask",
		`requests [socks] >= 2.31`:                        "requests",
		`gunicorn==22.0.0 --hash=sha256:abc`:              "gunicorn",
		`zope.interface`:                                  "zope.interface",
		`uvloop; sys_platform != "win32"`:                 "uvloop",
		`pkg @ https://example.invalid/pkg-1.0.tar.gz`:    "pkg",
		`./vendor/metrics-0.1-py3-none-any.whl`:           "",
		`metrics-0.1-py3-none-any.whl`:                    "",
		`vendor/lib`:                                      "",
		`.`:                                               "",
		`https://example.invalid/x.zip`:                   "",
		`git+https://example.invalid/a.git@v1#egg=a_b`:    "a_b",
		`Django (>=4.2,<5)`:                               "Django",
		`black~=24.4`:                                     "black",
		`numpy!=1.26.0`:                                   "numpy",
		`h11<1`:                                           "h11",
		`requests>=2 ; python_version<"3.12" and os_name`: "requests",
	} {
		if got := requirementName(line); got != want {
			t.Errorf("requirementName(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestParseRequirementsCycleTerminates(t *testing.T) {
	fsys := fstest.MapFS{
		"a.txt":     {Data: []byte("-r sub/b.txt\nalpha\n")},
		"sub/b.txt": {Data: []byte("-r ../a.txt\n-c ../a.txt\n-rc.txt\nbeta\n")},
		"sub/c.txt": {Data: []byte("--requirement c.txt\ngamma\n")},
	}
	files, pkgs, err := ParseRequirements(fsys, "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.txt", "sub/b.txt", "sub/c.txt"}; !reflect.DeepEqual(files, want) {
		t.Errorf("files = %q, want %q", files, want)
	}
	if want := []string{"alpha", "beta", "gamma"}; !reflect.DeepEqual(pkgs, want) {
		t.Errorf("packages = %q, want %q", pkgs, want)
	}
}

func TestParseRequirementsConstraintIncludesStayConstraints(t *testing.T) {
	fsys := fstest.MapFS{
		"requirements.txt": {Data: []byte("flask\n-c pins.txt\n")},
		"pins.txt":         {Data: []byte("-r more-pins.txt\nwerkzeug<4\n")},
		"more-pins.txt":    {Data: []byte("click<9\n")},
	}
	files, pkgs, err := ParseRequirements(fsys, "requirements.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || !reflect.DeepEqual(pkgs, []string{"flask"}) {
		t.Fatalf("files = %q, packages = %q; want 3 files and only flask", files, pkgs)
	}
}

func TestParseRequirementsErrors(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		// The continuation keeps line numbers physical: the -r is on line 4.
		"missing": {"flask==3.0.3 \\\n    --hash=sha256:ab\n# comment\n-r missing.txt\n",
			"requirements.txt:4: -r missing.txt: no such file (looked for missing.txt; include paths are relative to the including file)"},
		"missing-long": {"\n--constraint=pins/missing.txt\n", "requirements.txt:2: --constraint pins/missing.txt: no such file (looked for pins/missing.txt; include paths are relative to the including file)"},
		"remote":       {"-r https://example.invalid/r.txt\n", "requirements.txt:1: -r https://example.invalid/r.txt: remote includes are not supported (download the file into the build context and include it by path)"},
		"outside":      {"-r ../../r.txt\n", "requirements.txt:1: -r ../../r.txt: outside the build context (keep included files inside the context directory)"},
		"absolute":     {"-c /etc/pins.txt\n", "requirements.txt:1: -c /etc/pins.txt: absolute include path (use a path relative to requirements.txt)"},
		"empty":        {"flask\n-r\n", "requirements.txt:2: -r needs a file name (write -r other-requirements.txt)"},
	} {
		fsys := fstest.MapFS{"requirements.txt": {Data: []byte(tc.data)}}
		_, _, err := ParseRequirements(fsys, "requirements.txt")
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error = %v, want %q", name, err, tc.want)
		}
	}
	_, _, err := ParseRequirements(fstest.MapFS{}, "requirements.txt")
	if err == nil || err.Error() != "requirements.txt: no such file" {
		t.Errorf("missing top file: error = %v", err)
	}
}

func TestDetectRequirementsGroups(t *testing.T) {
	fsys := fixture(t, "requirements")
	main := detectOne(t, fsys)
	if main.Ecosystem != Pip || main.Install != "pip install -r requirements.txt" {
		t.Fatalf("main: %+v", main)
	}
	if want := []string{"requirements.txt", "requirements/base.txt", "constraints.txt"}; !reflect.DeepEqual(main.Files, want) {
		t.Errorf("main files = %q, want %q", main.Files, want)
	}
	if !reflect.DeepEqual(main.Caches, []string{"/root/.cache/pip"}) || main.Generated != nil {
		t.Errorf("main caches/generated: %+v", main)
	}

	test := detectOne(t, fsys, "test")
	// requirements-test.txt pulls in requirements.txt with -r: installed once.
	if test.Install != "pip install -r requirements-test.txt" {
		t.Errorf("test install = %q", test.Install)
	}
	if want := []string{"requirements-test.txt", "requirements.txt", "requirements/base.txt", "constraints.txt"}; !reflect.DeepEqual(test.Files, want) {
		t.Errorf("test files = %q", test.Files)
	}
	added := toSet(test.Packages)
	for _, p := range main.Packages {
		delete(added, p)
	}
	if want := []string{"faker", "pytest", "pytest-cov"}; !reflect.DeepEqual(sortedKeys(added), want) {
		t.Errorf("test group adds %q, want %q", sortedKeys(added), want)
	}

	dev := detectOne(t, fsys, "dev", "test")
	if dev.Install != "pip install -r dev_requirements.txt -r requirements-test.txt" || !toSet(dev.Packages)["ruff"] {
		t.Errorf("dev+test: %q %q", dev.Install, dev.Packages)
	}

	_, err := Detect(fsys, ".", DetectOptions{Groups: []string{"docs"}})
	if err == nil || err.Error() != `.: no requirements file for group "docs" (looked for requirements-docs.txt, requirements_docs.txt, docs-requirements.txt, docs_requirements.txt, requirements/docs.txt; add one, or drop the group)` {
		t.Errorf("unknown group: error = %v", err)
	}
}

func TestDetectRequirementsInSubdirAndCycle(t *testing.T) {
	fsys := fstest.MapFS{
		"svc/requirements.txt":          {Data: []byte("-r ../common/base.txt\nflask\n")},
		"svc/requirements/test.txt":     {Data: []byte("-r lint.txt\npytest\n")},
		"svc/requirements/lint.txt":     {Data: []byte("-r test.txt\nruff\n")},
		"svc/requirements-lint.txt":     {Data: []byte("-r requirements/lint.txt\n")},
		"common/base.txt":               {Data: []byte("requests\n")},
		"svc/requirements/unrelated.md": {Data: []byte("#")},
	}
	ms, err := Detect(fsys, "svc", DetectOptions{Groups: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	m := ms[0]
	if want := []string{"svc/requirements.txt", "common/base.txt", "svc/requirements/test.txt", "svc/requirements/lint.txt"}; !reflect.DeepEqual(m.Files, want) {
		t.Errorf("files = %q, want %q", m.Files, want)
	}
	if m.Install != "pip install -r requirements.txt -r requirements/test.txt" {
		t.Errorf("install = %q", m.Install)
	}
	d := &detector{dir: "svc/api"}
	if got := d.rel("common/base.txt"); got != "../../common/base.txt" {
		t.Errorf("rel = %q", got)
	}
}
