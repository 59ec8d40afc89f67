package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// stagesOf is a pipeline whose stages: holds entries, each one a stage c0,
// c1, … with the given body (indented by four), then tail.
func stagesOf(head string, n int, body, tail string) []byte {
	var b strings.Builder
	b.WriteString(head + "stages:\n")
	for i := range n {
		fmt.Fprintf(&b, "  c%d:\n", i)
		for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
			b.WriteString("    " + l + "\n")
		}
	}
	b.WriteString(tail)
	return []byte(b.String())
}

// sameNodes reports where a and b differ in anything but comments.
func sameNodes(a, b *yaml.Node, at string) string {
	if a == nil || b == nil {
		if a != b {
			return at + ": one is nil"
		}
		return ""
	}
	type fields struct {
		Kind         yaml.Kind
		Style        yaml.Style
		Tag, Value   string
		Anchor       string
		Line, Column int
		N            int
	}
	fa := fields{a.Kind, a.Style, a.Tag, a.Value, a.Anchor, a.Line, a.Column, len(a.Content)}
	fb := fields{b.Kind, b.Style, b.Tag, b.Value, b.Anchor, b.Line, b.Column, len(b.Content)}
	if fa != fb {
		return fmt.Sprintf("%s: %+v, whole parse %+v", at, fa, fb)
	}
	if a.Alias != nil || b.Alias != nil {
		if a.Alias == nil || b.Alias == nil || a.Alias.Line != b.Alias.Line || a.Alias.Column != b.Alias.Column {
			return at + ": aliases differ"
		}
	}
	for i := range a.Content {
		if d := sameNodes(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkSplit parses data in pieces and whole, and fails the test when the
// pieces give nodes the whole parse does not. It returns whether the split
// was taken.
func checkSplit(t *testing.T, data []byte, pieces int) bool {
	t.Helper()
	got := parseSplit(data, pieces)
	if got == nil {
		return false
	}
	var want yaml.Node
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatalf("split parse of %q succeeded, whole parse failed: %v", data, err)
	}
	if d := sameNodes(got, &want, "doc"); d != "" {
		t.Fatalf("split parse of %q differs at %s", data, d)
	}
	return true
}

func TestSplitParse(t *testing.T) {
	plain := "from: busybox:latest\nrun: echo hi\n"
	cases := []struct {
		name  string
		data  []byte
		split bool
	}{
		{"bench", bench500YAML(), true},
		{"plain", stagesOf("version: 1\n", 6, plain, ""), true},
		{"services after", stagesOf("", 6, plain, "services:\n  db: {image: x:1}\n"), true},
		{"comments", stagesOf("# head\n", 6, "# in a stage\n"+plain, "# tail\n  # indented\ndefault: c1 # why\n"), true},
		{"comment after key", []byte(strings.Replace(string(stagesOf("", 6, plain, "")), "stages:", "stages: # all", 1)), true},
		{"block scalar kept", stagesOf("", 6, "from: a:1\nrun: |+\n  echo\n\n", "\ndefault: c1\n"), true},
		{"local anchors", stagesOf("", 6, "from: &f a:1\nuser: *f\n", ""), true},
		{"no trailing newline", []byte(strings.TrimSuffix(string(stagesOf("", 6, plain, "")), "\n")), true},
		{"utf-8", stagesOf("", 6, "from: a:1\nrun: echo héllo ✓\n", ""), true},

		{"one entry", stagesOf("", 1, plain, ""), false},
		{"quote across entries", stagesOf("", 6, "from: a:1\nrun: \"echo\n", "default: \"x\"\n"), false},
		{"flow across entries", stagesOf("", 6, "from: a:1\nrun: [echo,\n", "default: x]\n"), false},
		{"alias across pieces", stagesOf("args: &a {X: \"1\"}\n", 6, "from: a:1\nenv: *a\n", ""), false},
		{"crlf", []byte(strings.ReplaceAll(string(stagesOf("", 6, plain, "")), "\n", "\r\n")), false},
		{"tab indent", stagesOf("", 6, "from: a:1\n\trun: x\n", ""), false},
		{"document marker", stagesOf("---\n", 6, plain, ""), false},
		{"directive", stagesOf("%YAML 1.1\n---\n", 6, plain, ""), false},
		{"flow stages", []byte("stages: {\n  c0: {from: a:1},\n  c1: {from: a:1},\n  c2: {from: a:1},\n  c3: {from: a:1}}\n"), false},
		{"explicit keys", []byte("stages:\n  ? c0\n  : {from: a:1}\n  ? c1\n  : {from: a:1}\n  ? c2\n  : {from: a:1}\n  ? c3\n  : {from: a:1}\n"), false},
		{"indentless list", []byte("stages:\n  c0:\n  - a\n  c1:\n  - a\n  c2:\n  - a\n  c3:\n  - a\n"), false},
		{"inside a quoted default", []byte("default: \"x\nstages:\n  c0: {from: a:1}\n  c1: {from: a:1}\n  c2: {from: a:1}\n  c3: {from: a:1}\n\"\n"), false},
		{"shallower line", stagesOf("", 6, plain, " default: c1\n"), false},
		{"two stages keys", stagesOf("", 6, plain, "stages:\n  d: {from: a:1}\n"), false},
		{"value on key line", []byte(strings.Replace(string(stagesOf("", 6, plain, "")), "stages:", "stages: &s", 1)), false},
		{"invalid yaml in a stage", stagesOf("", 6, "from: a:1\nrun: [\n", ""), false},
	}
	for _, c := range cases {
		for _, pieces := range []int{2, 3} {
			if got := checkSplit(t, c.data, pieces); got != c.split {
				t.Errorf("%s: split in %d taken = %v, want %v", c.name, pieces, got, c.split)
			}
		}
	}
}

// TestParseSplitSameAsWhole: Parse gives the same pipeline, or the same
// error, whether it splits the text or not.
func TestParseSplitSameAsWhole(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	inputs := [][]byte{bench500YAML(),
		stagesOf("", 6, "from: a:1\nrun: \"echo\n", "default: \"x\"\n"),
		stagesOf("", 6, "from: c9\n", ""),
		stagesOf("", 6, "from: a:1\nbad: 1\n", ""),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	defer func(m int) { splitMin = m }(splitMin)
	for _, data := range inputs {
		splitMin = 1 << 30
		want, wantErr := Parse("p.yaml", data, nil)
		splitMin = 0
		got, gotErr := Parse("p.yaml", data, nil)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("split parse of %q: %v, whole: %v", data, gotErr, wantErr)
		}
	}
}

// FuzzSplitParse: the split parse, when it is taken, gives the nodes of the
// whole parse.
func FuzzSplitParse(f *testing.F) {
	f.Add(stagesOf("version: 1\n", 4, "from: a:1\nrun: echo hi\n", "services:\n  db: {image: x:1}\n"))
	f.Add(stagesOf("", 4, "from: &f a:1\nrun: |+\n  echo\n\nuser: *f\n", "# end\n"))
	f.Add(stagesOf("", 4, "from: a:1\nrun: 'echo\n", "default: x'\n"))
	f.Add([]byte("# c\nstages: # s\n  # first\n  a: {from: x:1} # a\n# zero\n  b:\n    run: >-\n      x\n\n      y\n  # c\n  c: [1, 2]\nservices: {}\n"))
	f.Add([]byte("stages:\n  a: \"x\n    y\"\n  b: 'p\n\n    q'\n  c: [x,\n    y]\n  d: x\n    y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSplit(t, data, 2)
		checkSplit(t, data, 3)
	})
}
