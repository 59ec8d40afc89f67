package initgen

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestRequirementsGroupsAndRunner(t *testing.T) {
	tests := []struct {
		name     string
		fsys     fstest.MapFS
		testDeps Install
		runner   string
		test     string
		config   []string
		note     string
	}{
		{"dev file includes the test file", fstest.MapFS{
			"requirements.txt":      file("flask\n"),
			"test_requirements.txt": file("pytest\n"),
			"requirements-dev.txt":  file("-r test_requirements.txt\nblack\n"),
			"app/__init__.py":       file(""), "tests/test_a.py": file(""),
		}, Install{Copy: []string{"test_requirements.txt", "requirements-dev.txt"}, Run: []string{"pip install -r requirements-dev.txt"}},
			"pytest", "pytest -q -p no:cacheprovider --junitxml=/reports/junit.xml tests", nil,
			"detected: test dependencies: test_requirements.txt, requirements-dev.txt (black, pytest)"},
		{"pytest configured, not listed", fstest.MapFS{
			"requirements.txt": file("requests\n"), "app/__init__.py": file(""), "test/test_a.py": file(""),
			"conftest.py": file(""), "setup.cfg": file("[tool:pytest]\naddopts = -q\n"),
		}, Install{Run: []string{"pip install pytest"}}, "pytest", "pytest -q -p no:cacheprovider --junitxml=/reports/junit.xml test",
			[]string{"setup.cfg", "conftest.py"}, "guessed: pytest is configured but no test dependency lists it"},
		{"unittest", fstest.MapFS{"requirements.txt": file("requests\n"), "app/__init__.py": file(""), "tests/test_a.py": file("")},
			Install{}, "unittest", "python -m unittest discover -s tests", nil, "guessed: test runner: unittest"},
		{"no tests", fstest.MapFS{"app/__init__.py": file("")}, Install{}, "unittest", "python -c 'import app'", nil,
			"guessed: no tests/ or test/ directory: the tests gate only checks that app imports"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Inspect(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.TestDeps, tc.testDeps) || p.Runner != tc.runner || !reflect.DeepEqual(p.TestConfig, tc.config) {
				t.Errorf("test deps %+v runner %q config %q", p.TestDeps, p.Runner, p.TestConfig)
			}
			if cmd, _ := p.testCommand(); cmd != tc.test {
				t.Errorf("test command %q, want %q", cmd, tc.test)
			}
			if !strings.Contains(notes(p), tc.note) {
				t.Errorf("notes lack %q:\n%s", tc.note, notes(p))
			}
			parse(t, p)
		})
	}
}

func TestInspectErrors(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"no code", fstest.MapFS{"requirements.txt": file("flask\n"), "tests/test_a.py": file("")},
			"no Python code found (looked for a directory with __init__.py, src/<package>/, or top-level .py files); run stagebuild init in the project's root directory"},
		{"pyproject without a lock", fstest.MapFS{"pyproject.toml": file("[project]\nname = \"x\"\ndependencies = [\"flask\"]\n"), "x/__init__.py": file("")},
			"pyproject.toml declares dependencies but no lockfile pins them (run poetry lock or uv lock, or write a requirements.txt, then run stagebuild init again)"},
		{"bad TOML", fstest.MapFS{"pyproject.toml": file("[project\n"), "x/__init__.py": file("")},
			"pyproject.toml:1:9: invalid TOML: expected character ] (fix the TOML syntax)"},
		{"bad requirements include", fstest.MapFS{"requirements.txt": file("-r missing.txt\n"), "x/__init__.py": file("")},
			"reading the dependency manifests: requirements.txt:1: -r missing.txt: no such file (looked for missing.txt; include paths are relative to the including file)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Inspect(tc.fsys)
			var ie *Error
			if !errors.As(err, &ie) || err.Error() != tc.want {
				t.Errorf("error %v (%T)\nwant %s", err, err, tc.want)
			}
		})
	}
}

func TestPinsSkipsMainPackages(t *testing.T) {
	in := "# Generated\nclick==8.1.7 \\\n    --hash=sha256:a\nPyTest==8.3.3 ; python_version >= \"3.8\" \\\n    --hash=sha256:b \\\n    --hash=sha256:c\nzope.interface==6.0\n"
	got := pins(in, map[string]bool{"click": true, "zope-interface": true})
	want := "PyTest==8.3.3 ; python_version >= \"3.8\" \\\n    --hash=sha256:b \\\n    --hash=sha256:c\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestAdmits311(t *testing.T) {
	for spec, want := range map[string]bool{
		">=3.11": true, ">=3.12": false, ">=3.8,<3.12": true, "<3.11": false, "^3.11": true, "^3.12": false,
		"~3.11": true, "~=3.10": true, "~=3.10.2": false, "==3.11.*": true, "==3.12.*": false, "!=3.11.*,>=3.10": false,
		"3.11": true, "3.11.7": true, "3.12": false, "cpython@3.11": true, "pypy3.10": true, ">3.11.4,<3.12": true,
	} {
		if got := admits311(spec); got != want {
			t.Errorf("admits311(%q) = %v, want %v", spec, got, want)
		}
	}
}

// A test requirements file that includes the main one keeps the purity
// check on: the check only forbids what the test file adds.
func TestTestRequirementsIncludingMain(t *testing.T) {
	p, err := Inspect(fstest.MapFS{
		"requirements.txt":      file("flask\n"),
		"requirements-test.txt": file("-r requirements.txt\npytest\n"),
		"app/__init__.py":       file(""), "tests/test_a.py": file(""),
	})
	if err != nil {
		t.Fatal(err)
	}
	if pur := parse(t, p).Stage("service").Purity; pur != nil {
		t.Errorf("service purity %v, want the default", *pur)
	}
}
