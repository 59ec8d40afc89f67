package report

import (
	"fmt"
	"path"
	"strings"
)

// GitHubAnnotations returns one workflow command per failing case:
//
//	::error file=F,line=L,title=T::MSG
//
// prefix is prepended to a relative File (for example the build context's
// path within the repository), so that GitHub can place the annotation;
// it may be "". file and line are left out when unknown.
func (s *Summary) GitHubAnnotations(prefix string) []string {
	var out []string
	for _, c := range s.Failing {
		var props []string
		if file := c.File; file != "" {
			if prefix != "" && !path.IsAbs(file) {
				file = path.Join(prefix, file)
			}
			props = append(props, "file="+escapeProperty(file))
			if c.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", c.Line))
			}
		}
		word, msg := "FAILED", c.Message
		if c.Status == Errored {
			word = "ERROR"
		}
		if msg == "" {
			msg = strings.ToLower(word)
		}
		props = append(props, "title="+escapeProperty(word+" "+c.title()))
		out = append(out, "::error "+strings.Join(props, ",")+"::"+escapeData(msg))
	}
	return out
}

// title names the case: Class.Name, or Name when the class is empty or is
// a path (as in linter reports).
func (c Case) title() string {
	if c.Class == "" || strings.Contains(c.Class, "/") {
		return c.Name
	}
	return c.Class + "." + c.Name
}

// escapeData escapes a workflow command's message.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
