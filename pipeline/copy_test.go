package pipeline

import (
	"reflect"
	"testing"
)

func TestParseCopyOptions(t *testing.T) {
	const y = "stages:\n  a:\n    from: alpine:3\n    copy:\n" +
		"      - {src: app, to: /app, chown: \"app:app\", chmod: 755, exclude: [\"*.pyc\", tests/]}\n" +
		"      - src: bin\n        chmod: \"0o4711\"\n        chown: \"1000\"\n"
	p, err := Parse("p.yaml", []byte(y), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Stage("a").Copy
	if c[0].Chown.Value != "app:app" || c[0].Chmod.Value != "0755" || c[1].Chmod.Value != "4711" || c[1].Chown.Value != "1000" {
		t.Errorf("copies = %+v", c)
	}
	var ex []string
	for _, e := range c[0].Exclude {
		ex = append(ex, e.Value)
	}
	if !reflect.DeepEqual(ex, []string{"*.pyc", "tests/"}) {
		t.Errorf("exclude = %q", ex)
	}
	if got, want := c[0].Exclude[1].Pos, (Pos{"p.yaml", 5, 79}); got != want {
		t.Errorf("exclude[1] at %s, want %s", got, want)
	}
	if len(c[1].Exclude) != 0 || c[1].Pos != (Pos{"p.yaml", 6, 9}) {
		t.Errorf("copy[1] = %+v", c[1])
	}
}

func TestParseCopyOptionErrors(t *testing.T) {
	const head = "stages:\n  a:\n    from: alpine:3\n    copy:\n"
	tests := []struct{ name, yaml, want string }{
		{"bad chmod", head + "      - {src: app, chmod: 999}\n",
			`p.yaml:5:27: chmod of a copy of stage "a": "999" is not an octal file mode up to 07777 (write it like "0755")`},
		{"chmod too big", head + "      - {src: app, chmod: 17777}\n",
			`p.yaml:5:27: chmod of a copy of stage "a": "17777" is not an octal file mode up to 07777 (write it like "0755")`},
		{"chmod symbolic", head + "      - {src: app, chmod: u+x}\n",
			`p.yaml:5:27: chmod of a copy of stage "a": "u+x" is not an octal file mode up to 07777 (write it like "0755")`},
		{"bad chown", head + "      - {src: app, chown: \"a:b:c\"}\n",
			`p.yaml:5:27: chown of a copy of stage "a": "a:b:c" is not an owner (write user, user:group, uid or uid:gid, such as app or 1000:1000)`},
		{"chown with space", head + "      - {src: app, chown: \"my user\"}\n",
			`p.yaml:5:27: chown of a copy of stage "a": "my user" is not an owner (write user, user:group, uid or uid:gid, such as app or 1000:1000)`},
		{"exclude not a list", head + "      - {src: app, exclude: \"*.pyc\"}\n",
			`p.yaml:5:29: exclude in copy of stage "a" must be a list, got a scalar`},
		{"exclude absolute", head + "      - {src: app, exclude: [/etc]}\n",
			`p.yaml:5:30: exclude of a copy of stage "a": "/etc" is not a pattern relative to the copy's src (such as *.pyc or tests/)`},
		{"chown a list", head + "      - {src: app, chown: [a]}\n",
			`p.yaml:5:27: chown in copy of stage "a" must be a string, got a list`},
		{"unknown copy key suggests", head + "      - {src: app, chmode: 644}\n",
			`p.yaml:5:20: unknown key "chmode" in an entry of copy of stage "a" (did you mean "chmod"?)`},
	}
	parseErrors(t, tests)
}

func TestParseCopyFrom(t *testing.T) {
	p, err := Parse("p.yaml", []byte(`stages:
  build:
    from: golang:1.22
    run: go build -o /out/app .
  app:
    from: alpine:3
    copy:
      - {src: /out/app, to: /usr/local/bin/app, from: build, chmod: 755}
      - cfg
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := p.Stage("app")
	if c := app.Copy[0]; c.From.Value != "build" || c.Src.Value != "/out/app" || c.From.Pos != (Pos{"p.yaml", 8, 55}) {
		t.Errorf("copy = %+v", c)
	}
	if got := app.Deps(); !reflect.DeepEqual(got, []string{"build"}) {
		t.Errorf("deps = %q", got)
	}
}

func TestParseCopyFromErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown stage", "stages:\n  builder:\n    from: alpine:3\n  app:\n    from: alpine:3\n    copy:\n      - {src: /out, from: bulder}\n",
			`p.yaml:7:27: from in a copy of stage "app": unknown stage "bulder" (did you mean "builder"?) (a copy reads from a stage of this pipeline or from the build context)`},
		{"self", "stages:\n  app:\n    from: alpine:3\n    copy:\n      - {src: /out, from: app}\n",
			`p.yaml:5:27: from in a copy of stage "app": a stage cannot copy from itself (name another stage, or drop from: to copy from the build context)`},
		{"cycle through from", "stages:\n  base:\n    from: alpine:3\n    copy:\n      - {src: /x, from: app}\n  app:\n    from: base\n",
			`p.yaml:5:25: stages form a cycle through from: and copy from: base → app → base (copy from a stage that is not built from this one)`},
		{"cycle of copies", "stages:\n  a:\n    from: alpine:3\n    copy: [{src: /x, from: b}]\n  b:\n    from: alpine:3\n    copy: [{src: /y, from: a}]\n",
			`p.yaml:4:28: stages form a cycle through from: and copy from: a → b → a (copy from a stage that is not built from this one)`},
		{"empty from", "stages:\n  a:\n    from: alpine:3\n    copy: [{src: /x, from: \"\"}]\n  b:\n    from: alpine:3\n",
			`p.yaml:4:28: from in a copy of stage "a" is empty (name a stage, or drop from: to copy from the build context)`},
	}
	parseErrors(t, tests)
}

// parseErrors checks that each case's pipeline fails to parse with exactly
// its error.
func parseErrors(t *testing.T, tests []struct{ name, yaml, want string }) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tc.yaml), nil)
			if err == nil {
				t.Fatalf("Parse succeeded, want\n%s", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("\ngot:  %s\nwant: %s", got, tc.want)
			}
		})
	}
}
