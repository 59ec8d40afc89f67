package report

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// pytest writes its report with a suite named "pytest" (unless
// junit_suite_name is set). Two of its habits need undoing:
//
//   - with junit_family=xunit1, the line attribute is item.location's line
//     number, which is 0-based;
//   - with the default junit_family=xunit2, there is no file or line at all,
//     only classname: the dotted module path, then any test classes
//     ("tests.test_app.TestUser"). A collection error has an empty
//     classname and the module path as its name.

// tracebackLine matches a pytest traceback location: "tests/test_app.py:14: ".
var tracebackLine = regexp.MustCompile(`(?m)^(\S+\.py):(\d+): `)

func placePytest(f *failing) {
	if f.hasLine {
		f.Line++
	}
	if f.File == "" {
		f.File = pytestFile(f.Class, f.Name)
	}
	if f.Line != 0 || f.File == "" {
		return
	}
	// No line: take the deepest traceback frame in the test's own file.
	for _, m := range tracebackLine.FindAllStringSubmatch(f.text, -1) {
		if m[1] == f.File {
			f.Line, _ = strconv.Atoi(m[2])
		}
	}
}

// pytestFile derives the test file from a pytest classname (or, for a
// collection error, the name): trailing components that start with an
// upper-case letter are test classes; the rest is the module path. Modules
// with upper-case names are therefore misplaced.
func pytestFile(class, name string) string {
	dotted := class
	if dotted == "" {
		dotted = name
	}
	if strings.HasSuffix(dotted, ".py") {
		return dotted
	}
	parts := strings.Split(dotted, ".")
	for len(parts) > 0 && startsUpper(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, "[]/ ") {
			return ""
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "/") + ".py"
}

func startsUpper(s string) bool {
	for _, r := range s {
		return unicode.IsUpper(r)
	}
	return false
}
