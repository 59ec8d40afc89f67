package initgen

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// python reads the requested Python version. The base image stays
// PythonImage; the request only becomes a comment, and a note when the
// image does not satisfy it.
func (in *inspector) python() error {
	var want, from string
	if data, err := fs.ReadFile(in.fsys, ".python-version"); err == nil {
		if f := strings.Fields(string(data)); len(f) > 0 {
			want, from = f[0], ".python-version"
		}
	}
	if want == "" {
		if want = in.py.requiresPython(); want != "" {
			from = "pyproject.toml requires-python"
		}
	}
	if want == "" {
		in.guessed("base image %s (no requires-python or .python-version)", PythonImage)
		return nil
	}
	in.p.Python = fmt.Sprintf("%s (%s)", want, from)
	if admits311(want) {
		in.detected("Python %s (%s): base image %s", want, from, PythonImage)
	} else {
		in.guessed("the project asks for Python %s (%s) but the base image is %s: change PYTHON_IMAGE in stagebuild.yaml or pass --build-arg PYTHON_IMAGE=...", want, from, PythonImage)
	}
	return nil
}

// admits311 reports whether a .python-version value or a version
// specifier (PEP 440 or Poetry's ^ and ~) admits some Python 3.11.z.
// What it cannot read, it admits.
func admits311(spec string) bool {
	spec = strings.TrimSpace(spec)
	if v := strings.TrimPrefix(spec, "cpython@"); len(v) > 0 && v[0] >= '0' && v[0] <= '9' {
		return v == "3" || v == "3.11" || strings.HasPrefix(v, "3.11.")
	}
	for z := 0; z <= 30; z++ {
		ok := true
		for _, clause := range strings.Split(spec, ",") {
			if !satisfies([]int{3, 11, z}, strings.TrimSpace(clause)) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func satisfies(v []int, clause string) bool {
	op := strings.TrimRight(clause, "0123456789.* ")
	ver := strings.TrimSpace(strings.TrimPrefix(clause, op))
	want, wild := parseVersion(ver)
	if want == nil {
		return true
	}
	c := compare(v, want)
	switch strings.TrimSpace(op) {
	case ">=":
		return c >= 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	case "<":
		return c < 0
	case "==", "", "=":
		return wild && prefix(v, want) || !wild && c == 0
	case "!=":
		return !(wild && prefix(v, want) || !wild && c == 0)
	case "~=", "~":
		if len(want) > 1 && op == "~=" {
			return c >= 0 && prefix(v, want[:len(want)-1])
		}
		return c >= 0 && prefix(v, want[:min(2, len(want))])
	case "^":
		return c >= 0 && v[0] == want[0]
	}
	return true
}

// parseVersion reads "3.11", "3.11.4" or "3.11.*".
func parseVersion(s string) (parts []int, wildcard bool) {
	s, wildcard = strings.CutSuffix(s, ".*")
	for _, f := range strings.Split(s, ".") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, false
		}
		parts = append(parts, n)
	}
	return parts, wildcard
}

func compare(a, b []int) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func prefix(v, p []int) bool {
	for i, n := range p {
		if i >= len(v) || v[i] != n {
			return false
		}
	}
	return true
}
