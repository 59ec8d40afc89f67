package initgen

import (
	"io/fs"
	"path"
	"slices"
	"strings"
)

// pytestConfig returns the files that configure pytest (and so are copied
// next to the tests), and a description of the first, or "".
func (in *inspector) pytestConfig() (files []string, why string) {
	add := func(f, w string) {
		files = append(files, f)
		if why == "" {
			why = w
		}
	}
	if in.py != nil && in.py.Tool.Pytest != nil {
		add("pyproject.toml", "[tool.pytest.ini_options] in pyproject.toml")
	}
	if isFile(in.fsys, "pytest.ini") {
		add("pytest.ini", "pytest.ini")
	}
	for _, f := range []struct{ name, section string }{{"setup.cfg", "[tool:pytest]"}, {"tox.ini", "[pytest]"}} {
		if data, err := fs.ReadFile(in.fsys, f.name); err == nil && strings.Contains(string(data), f.section) {
			add(f.name, f.section+" in "+f.name)
		}
	}
	if isFile(in.fsys, "conftest.py") {
		add("conftest.py", "conftest.py")
	}
	if in.p.TestsDir != "" && isFile(in.fsys, path.Join(in.p.TestsDir, "conftest.py")) && why == "" {
		why = path.Join(in.p.TestsDir, "conftest.py")
	}
	return files, why
}

// tests finds the tests directory and the runner, and makes sure the
// runner is installed in test_deps.
func (in *inspector) tests() error {
	p := in.p
	for _, d := range []string{"tests", "test"} {
		if isDir(in.fsys, d) {
			p.TestsDir = d
			in.detected("tests: %s/", d)
			break
		}
	}
	config, why := in.pytestConfig()
	listed := slices.Contains(p.TestPackages, "pytest") || slices.Contains(p.MainPackages, "pytest")
	switch {
	case listed:
		p.Runner = "pytest"
		in.detected("test runner: pytest (a test dependency)")
	case why != "":
		p.Runner = "pytest"
		in.detected("test runner: pytest (%s)", why)
		p.TestDeps.Run = append(p.TestDeps.Run, "pip install pytest")
		in.guessed("pytest is configured but no test dependency lists it: test_deps installs the latest pytest")
	default:
		p.Runner = "unittest"
		in.guessed("test runner: unittest (pytest is neither a test dependency nor configured)")
	}
	p.TestConfig = config
	if p.TestsDir == "" {
		in.guessed("no tests/ or test/ directory: the tests gate only checks that %s imports (add tests, then edit test: in stagebuild.yaml)", p.Package)
	}
	return nil
}

// testCommand is the gate's command, and the reports directory it writes.
func (p *Project) testCommand() (cmd, reports string) {
	switch {
	case p.TestsDir == "":
		return "python -c " + shellWord("import "+p.Package), ""
	case p.Runner == "pytest":
		return "pytest -q -p no:cacheprovider --junitxml=/reports/junit.xml " + p.TestsDir, "/reports"
	}
	return "python -m unittest discover -s " + p.TestsDir, ""
}

// localdev is the localdev image's entrypoint and cmd: the test runner.
func (p *Project) localdev() (entrypoint, cmd []string) {
	switch {
	case p.TestsDir == "":
		return []string{"python"}, nil
	case p.Runner == "pytest":
		return []string{"pytest"}, []string{p.TestsDir}
	}
	return []string{"python", "-m", "unittest"}, []string{"discover", "-s", p.TestsDir}
}
