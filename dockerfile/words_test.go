package dockerfile

import (
	"slices"
	"strings"
	"testing"
)

func TestWord(t *testing.T) {
	for in, want := range map[string]string{
		"/app":                "/app",
		"3000/tcp":            "3000/tcp",
		"nobody":              "nobody",
		"org.example/team":    "org.example/team",
		"/my dir":             `"/my dir"`,
		"":                    `""`,
		`a"b`:                 `"a\"b"`,
		`$HOME`:               `"\$HOME"`,
		`c:\x`:                `"c:\\x"`,
		"it's":                `"it's"`,
		"k=v":                 `"k=v"`,
		"#comment-looking":    `"#comment-looking"`,
		"with\ttab":           "\"with\ttab\"",
		"unicode-é":           `"unicode-é"`,
		"a,b+c@d%e:f_g.h-i/j": "a,b+c@d%e:f_g.h-i/j",
	} {
		got, err := word("x", in)
		if err != nil || got != want {
			t.Errorf("word(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := word("workdir", "/a\nb"); err == nil || !strings.Contains(err.Error(), `workdir "/a\nb": a Dockerfile instruction cannot hold a line break`) {
		t.Errorf("line break: %v", err)
	}
}

func TestEnvValue(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                 `"plain"`,
		"/opt/venv/bin:${PATH}": `"/opt/venv/bin:${PATH}"`,
		"$HOME/x":               `"${HOME}/x"`,
		"${A}${B}":              `"${A}${B}"`,
		"cost: $":               `"cost: \$"`,
		"$ 5":                   `"\$ 5"`,
		"${A:-x}y":              `"y"`,
		"$1$*":                  `""`,
		"${}z":                  `"z"`,
		`say "hi" \o/`:          `"say \"hi\" \\o/"`,
		"":                      `""`,
	} {
		got, err := envValue("K", in)
		if err != nil || got != want {
			t.Errorf("envValue(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := envValue("K", "a\x00b"); err == nil {
		t.Error("a NUL byte was accepted")
	}
}

func TestShellCommand(t *testing.T) {
	for in, want := range map[string]string{
		"pip install -r requirements.txt": "pip install -r requirements.txt",
		"  padded  ":                      "padded",
		`echo "$HOME" 'x' # y`:            `echo "$HOME" 'x' # y`,
		"a\nb":                            "<<'STAGEBUILD_EOF'\na\nb\nSTAGEBUILD_EOF",
		"[ -f x ]":                        "<<'STAGEBUILD_EOF'\n[ -f x ]\nSTAGEBUILD_EOF",
		`echo \`:                          "<<'STAGEBUILD_EOF'\necho \\\nSTAGEBUILD_EOF",
		"echo \\  ":                       "<<'STAGEBUILD_EOF'\necho \\  \nSTAGEBUILD_EOF",
		"cat <<X":                         "<<'STAGEBUILD_EOF'\ncat <<X\nSTAGEBUILD_EOF",
		"":                                "<<'STAGEBUILD_EOF'\n\nSTAGEBUILD_EOF",
		"#!/bin/bash\necho":               "<<'STAGEBUILD_EOF'\n\n#!/bin/bash\necho\nSTAGEBUILD_EOF",
		"x\nSTAGEBUILD_EOF\ny":            "<<'STAGEBUILD_EOF_1'\nx\nSTAGEBUILD_EOF\ny\nSTAGEBUILD_EOF_1",
	} {
		if got := shellCommand(in); got != want {
			t.Errorf("shellCommand(%q) =\n%q\nwant\n%q", in, got, want)
		}
	}
}

func TestJSONForms(t *testing.T) {
	if got := jsonArgs([]string{"sh", "-c", `a <b> & "c"`}); got != `["sh","-c","a <b> & \"c\""]` {
		t.Errorf("jsonArgs: %s", got)
	}
	if got := jsonArgs(nil); got != "[]" {
		t.Errorf("jsonArgs(nil): %s", got)
	}
	if got := jsonWords([]string{"my file", `a$b"c'd\e`}); got != `["my file","a\\$b\\\"c\\'d\\\\e"]` {
		t.Errorf("jsonWords: %s", got)
	}
}

func TestFlagValues(t *testing.T) {
	for _, bad := range []string{"", "a b", "a,b", `a"b`, "a$b", `a\b`, "a=b"} {
		if _, err := mountValue("cache mount", bad); err == nil {
			t.Errorf("mountValue accepted %q", bad)
		}
	}
	for _, ok := range []string{"/root/.cache/pip", "stagebuild:/root/.cache/pip"} {
		if v, err := mountValue("cache mount", ok); err != nil || v != ok {
			t.Errorf("mountValue(%q): %q, %v", ok, v, err)
		}
	}
	if _, err := flagValue("exclude", "a b"); err == nil {
		t.Error("flagValue accepted a space")
	}
	if v, err := flagValue("exclude", "**/*.pyc"); err != nil || v != "**/*.pyc" {
		t.Errorf("flagValue: %q, %v", v, err)
	}
}

func TestExcludesFor(t *testing.T) {
	patterns := []string{".git", "**/.venv", "**/__pycache__", "app/build", "app/dist/**", "!**/keep"}
	for src, want := range map[string][]string{
		".":     patterns,
		"app":   {"**/.venv", "**/__pycache__", "build", "dist/**", "!**/keep"},
		"tests": {"**/.venv", "**/__pycache__", "!**/keep"},
		"app/*": {"**/.venv", "**/__pycache__", "!**/keep"},
	} {
		if got := excludesFor(patterns, src); !slices.Equal(got, want) {
			t.Errorf("excludesFor(%q) = %q, want %q", src, got, want)
		}
	}
}
