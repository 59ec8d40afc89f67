package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no report panics the JUnit parser, and a parsed summary's
// counts add up (make fuzz).
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><testsuites time="1,5"><testsuite name="pytest"><testcase classname="a.b" name="c" line="x"><failure/></testcase></testsuite></testsuites>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		if s.Total() < len(s.Failing) || s.Failed+s.Errors != len(s.Failing) {
			t.Errorf("counts %+v do not match %d failing cases", s, len(s.Failing))
		}
		_ = s.GitHubAnnotations("svc")
	})
}
