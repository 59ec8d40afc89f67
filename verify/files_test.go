package verify

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/plan"
)

func TestFile(t *testing.T) {
	entry := []byte("#!/bin/sh\nset -e\nexec gunicorn --bind 0.0.0.0:${PORT:-3000} app:app\n")
	script := Stat{Exists: true, Mode: 0o755, UID: 0, GID: 0, Content: entry}
	tests := []struct {
		name  string
		check plan.FileCheck
		stat  Stat
		want  []string
	}{
		{"absent as expected", plan.FileCheck{Path: "/app/tests"}, Stat{}, nil},
		{"present but should not be", plan.FileCheck{Path: "/app/tests", Source: "s:3:11"}, Stat{Exists: true, IsDir: true},
			[]string{"s:3:11: files /app/tests: expected no such path, found a directory"}},
		{"file present but should not be", plan.FileCheck{Path: "/x"}, Stat{Exists: true},
			[]string{"files /x: expected no such path, found a file"}},
		{"missing", plan.FileCheck{Path: "/app/run.sh", Exists: true, Mode: "0755"}, Stat{},
			[]string{"files /app/run.sh: expected the path to exist, found nothing"}},
		{"all match", plan.FileCheck{Path: "/e", Exists: true, Mode: "0755", Owner: "0:0", Contains: pat("^exec gunicorn")}, script, nil},
		{"owner uid only", plan.FileCheck{Path: "/e", Exists: true, Owner: "0"}, Stat{Exists: true, UID: 0, GID: 50}, nil},
		{"exists only", plan.FileCheck{Path: "/e", Exists: true}, Stat{Exists: true, IsDir: true}, nil},
		{"setuid kept apart", plan.FileCheck{Path: "/b", Exists: true, Mode: "4755"}, Stat{Exists: true, Mode: 0o755},
			[]string{"files /b: expected mode 4755, found 0755"}},
		{"everything wrong", plan.FileCheck{Path: "/e", Exists: true, Mode: "0755", Owner: "0:0", Contains: pat("uvicorn")},
			Stat{Exists: true, Mode: 0o644, UID: 1000, GID: 1000, Content: entry},
			[]string{
				"files /e: expected mode 0755, found 0644",
				"files /e: expected owner 0:0, found 1000:1000",
				"files /e: expected content matching \"uvicorn\", found no match in 68 bytes\n  content:\n    #!/bin/sh\n    set -e\n    exec gunicorn --bind 0.0.0.0:${PORT:-3000} app:app",
			}},
		{"contains on a directory", plan.FileCheck{Path: "/app", Exists: true, Contains: pat("x")}, Stat{Exists: true, IsDir: true},
			[]string{`files /app: expected a file with content matching "x", found a directory`}},
		{"gid differs", plan.FileCheck{Path: "/e", Exists: true, Owner: "0:0"}, Stat{Exists: true, GID: 1},
			[]string{"files /e: expected owner 0:0, found 0:1"}},
		{"bad check values", plan.FileCheck{Path: "/e", Exists: true, Mode: "rwx", Owner: "root", Contains: pat("(")}, script,
			[]string{
				`files /e: the check's mode "rwx" is not octal`,
				`files /e: the check's owner "root" is not uid or uid:gid`,
				// The plan refuses such a pattern; one that gets through
				// matches nothing.
				"files /e: expected content matching \"(\", found no match in 68 bytes\n  content:\n    #!/bin/sh\n    set -e\n    exec gunicorn --bind 0.0.0.0:${PORT:-3000} app:app",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := messages(File(tc.check, tc.stat)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("failures =\n%s\nwant\n%s", join(got), join(tc.want))
			}
		})
	}
}

func TestUnixMode(t *testing.T) {
	for m, want := range map[os.FileMode]uint32{
		0o644: 0o644, os.ModeDir | 0o755: 0o755, os.ModeSetuid | 0o755: 0o4755,
		os.ModeSetgid | os.ModeSticky | 0o770: 0o3770, os.ModeSymlink | 0o777: 0o777,
	} {
		if got := UnixMode(m); got != want {
			t.Errorf("UnixMode(%v) = %04o, want %04o", m, got, want)
		}
	}
}

func TestTailKeepsLastLines(t *testing.T) {
	var lines []string
	for i := 1; i <= 25; i++ {
		lines = append(lines, "line "+strings.Repeat("x", i%3)+string(rune('a'+i%26)))
	}
	got := tail("stderr", []byte(strings.Join(lines, "\n")+"\n"))
	if !strings.HasPrefix(got, "\n  stderr (last 10 of 25 lines):\n    "+lines[15]+"\n") || !strings.HasSuffix(got, lines[24]) {
		t.Errorf("tail =\n%s", got)
	}
	if tail("stdout", []byte(" \n\n")) != "" {
		t.Error("blank output has a tail")
	}
	if got, want := tail("content", []byte{0x7f, 'E', 'L', 'F', 0xff, 0xfe}), "\n  content: 6 bytes of binary data"; got != want {
		t.Errorf("binary tail = %q, want %q", got, want)
	}
}

// pat is a check's pattern as the plan compiles it; a bad one keeps its
// text.
func pat(text string) plan.Pattern {
	p, _ := plan.NewPattern(text)
	return p
}
