package pipeline

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseChecks(t *testing.T) {
	const file = "testdata/checks.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(file, data, map[string]string{"TITLE": "svc"})
	if err != nil {
		t.Fatal(err)
	}
	at := func(line, col int) Pos { return Pos{file, line, col} }
	val := func(s string, line, col int) Value { return Value{s, at(line, col)} }

	tests := p.Stage("tests")
	if tests.Reports != val("/app/reports", 12, 14) || !tests.AllowFailure || tests.Checks != nil || tests.Purity != nil {
		t.Errorf("tests: reports %+v, allow_failure %v, checks %v, purity %v", tests.Reports, tests.AllowFailure, tests.Checks, tests.Purity)
	}
	if lint := p.Stage("lint"); lint.AllowFailure || lint.Reports.Value != "" {
		t.Errorf("lint: allow_failure %v, reports %+v", lint.AllowFailure, lint.Reports)
	}
	svc := p.Stage("service")
	if svc.Purity == nil || *svc.Purity {
		t.Errorf("service.Purity = %v, want false", svc.Purity)
	}
	if plain := p.Stage("plain"); plain.Purity == nil || !*plain.Purity || p.Stage("builder").Purity != nil {
		t.Errorf("plain.Purity = %v, builder.Purity = %v", plain.Purity, p.Stage("builder").Purity)
	}
	c := svc.Checks
	if c == nil || c.Pos != at(22, 7) {
		t.Fatalf("service.Checks = %+v", c)
	}
	wantFiles := []FileCheck{
		{Path: val("/app/tests", 23, 17), Exists: false, Pos: at(23, 11)},
		{Path: val("/app/docker-entrypoint.sh", 25, 17), Exists: true, Mode: val("0755", 26, 17),
			Owner: val("0:0", 27, 18), Contains: val("gunicorn", 28, 21), Pos: at(25, 11)},
		{Path: val("/usr/bin/passwd", 29, 18), Exists: true, Mode: val("4755", 29, 41), Owner: val("0", 29, 56), Pos: at(29, 11)},
	}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("files =\n%+v\nwant\n%+v", c.Files, wantFiles)
	}
	wantCommands := []CommandCheck{
		{Name: val("pytest is not installed", 31, 17), Run: Command{Args: []string{`python -c "import pytest"`}, Shell: true, Pos: at(32, 16)},
			Exit: 1, Stdout: val("^$", 34, 19), Stderr: val("No module named 'pytest'", 35, 19), Pos: at(31, 11)},
		{Run: Command{Args: []string{"python", "-m", "pip", "--version"}, Pos: at(36, 16)}, Pos: at(36, 11)},
	}
	if !reflect.DeepEqual(c.Commands, wantCommands) {
		t.Errorf("commands =\n%+v\nwant\n%+v", c.Commands, wantCommands)
	}
	wantMeta := &MetadataCheck{
		Entrypoint: &Command{Args: []string{"/app/docker-entrypoint.sh"}, Pos: at(38, 21)},
		Cmd:        &Command{Args: []string{"gunicorn app:app"}, Shell: true, Pos: at(39, 14)},
		Expose:     []Value{val("3000", 40, 18), val("9090/udp", 40, 26)},
		User:       val("non-root", 41, 15),
		Workdir:    val("/app", 42, 18),
		Env:        []KV{{"PYTHONPATH", "/app", at(43, 15)}, {"EMPTY", "", at(43, 37)}},
		Labels:     []KV{{"org.opencontainers.image.title", "svc", at(44, 18)}},
		Pos:        at(38, 9),
	}
	if !reflect.DeepEqual(c.Metadata, wantMeta) {
		t.Errorf("metadata =\n%+v\nwant\n%+v", c.Metadata, wantMeta)
	}
	wantSmoke := &SmokeCheck{
		PortEnv: val("PORT", 46, 19),
		// A ${NAME} that is not an arg stays for the image's env to expand.
		Env:     []KV{{"GUNICORN_CMD_ARGS", "--workers 1", at(47, 15)}, {"PATH", "/x:${PATH}", at(47, 49)}},
		HTTP:    &HTTPProbe{Path: val("/health", 48, 22), Status: 204, Body: val("ok", 48, 50), Pos: at(48, 15)},
		Log:     val("Listening at", 49, 14),
		Timeout: val("45s", 50, 18),
		Pos:     at(46, 9),
	}
	if !reflect.DeepEqual(c.Smoke, wantSmoke) {
		t.Errorf("smoke =\n%+v (http %+v)\nwant\n%+v (http %+v)", c.Smoke, c.Smoke.HTTP, wantSmoke, wantSmoke.HTTP)
	}
	if h := p.Stage("plain").Checks.Smoke; h.HTTP != nil || h.Log.Value != "ready" || h.Timeout.Value != "" {
		t.Errorf("plain smoke = %+v", h)
	}
}

func TestParseCheckDefaults(t *testing.T) {
	src := "stages:\n  s:\n    from: a:1\n    checks:\n      files: [{path: /x}]\n      commands: [{run: 'true'}]\n" +
		"      smoke: {port_env: PORT, http: {path: /}}\n"
	p, err := Parse("p.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Stage("s").Checks
	if !c.Files[0].Exists || c.Commands[0].Exit != 0 || c.Smoke.HTTP.Status != 200 || c.Smoke.Timeout.Value != "" || c.Metadata != nil {
		t.Errorf("defaults: exists %v, exit %d, status %d, timeout %q, metadata %v",
			c.Files[0].Exists, c.Commands[0].Exit, c.Smoke.HTTP.Status, c.Smoke.Timeout.Value, c.Metadata)
	}
	if s := p.Stage("s"); s.Purity != nil || s.AllowFailure || s.Reports.Value != "" {
		t.Errorf("stage defaults: purity %v, allow_failure %v, reports %q", s.Purity, s.AllowFailure, s.Reports.Value)
	}
}

func TestParseModeForms(t *testing.T) {
	for in, want := range map[string]string{
		"0755": "0755", `"0755"`: "0755", "755": "0755", "0o750": "0750", "4755": "4755", "0": "0000", `"07777"`: "7777", "00644": "0644",
	} {
		src := "stages:\n  s:\n    from: a:1\n    checks:\n      files:\n        - {path: /x, mode: " + in + "}\n"
		p, err := Parse("p.yaml", []byte(src), nil)
		if err != nil {
			t.Errorf("mode %s: %v", in, err)
			continue
		}
		if got := p.Stage("s").Checks.Files[0].Mode.Value; got != want {
			t.Errorf("mode %s = %q, want %q", in, got, want)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	const head = "args:\n  A: x\nstages:\n  t:\n    from: a:1\n    test: 'true'\n  s:\n    from: a:1\n"
	// checks returns a pipeline whose stage s has the given checks: body,
	// indented under "    checks:" (so its keys start at line 10, column 7).
	checks := func(body string) string {
		return head + "    checks:\n" + indent(body, "      ")
	}
	const ok = "    from: alpine:3\n"
	tests := []struct{ name, yaml, want string }{
		{"reports without test", "stages:\n  a:\n" + ok + "    reports: /reports\n",
			`p.yaml:4:5: reports of stage "a" needs a test: command (only a test stage writes reports; move it to the gate)`},
		{"allow_failure without test", "stages:\n  a:\n" + ok + "    allow_failure: false\n",
			`p.yaml:4:5: allow_failure of stage "a" needs a test: command (only a test stage can be advisory; remove it)`},
		{"checks on a gate", "stages:\n  a:\n" + ok + "    checks: {}\n    test: 'true'\n",
			`p.yaml:4:5: checks of stage "a" is for image stages, not test stages (move it to the image stage this stage gates)`},
		{"purity on a gate", "stages:\n  a:\n" + ok + "    test: 'true'\n    purity: true\n",
			`p.yaml:5:5: purity of stage "a" is for image stages, not test stages (set it on the image stage this stage gates)`},
		{"relative reports", "stages:\n  a:\n" + ok + "    test: 'true'\n    reports: reports\n",
			`p.yaml:5:14: reports of stage "a" must be an absolute directory such as /reports, got "reports"`},
		{"unknown arg in reports", "stages:\n  a:\n" + ok + "    test: 'true'\n    reports: ${OUT}\n",
			`p.yaml:5:14: unknown arg ${OUT} in reports of stage "a" (declare it under args:)`},
		{"allow_failure a string", "stages:\n  a:\n" + ok + "    test: 'true'\n    allow_failure: yes\n",
			`p.yaml:5:20: allow_failure of stage "a" must be true or false, got "yes"`},
		{"purity empty", "stages:\n  a:\n" + ok + "    purity:\n", `p.yaml:4:12: purity of stage "a" must be true or false, got nothing`},
		{"misspelt allow_failure", "stages:\n  a:\n" + ok + "    allow_failures: true\n",
			`p.yaml:4:5: unknown key "allow_failures" in stage "a" (did you mean "allow_failure"?)`},
		{"unknown checks key", checks("file: []"),
			`p.yaml:10:7: unknown key "file" in checks of stage "s" (did you mean "files"?)`},
		{"checks a list", head + "    checks: [files]\n", `p.yaml:9:13: checks of stage "s" must be a mapping, got a list`},
		{"checks empty", head + "    checks:\n", `p.yaml:9:12: checks of stage "s" must be a mapping, got nothing`},
		{"files a mapping", checks("files: {path: /x}"), `p.yaml:10:14: checks.files of stage "s" must be a list, got a mapping`},
		{"file entry a string", checks("files: [/x]"), `p.yaml:10:15: checks.files[0] of stage "s" must be a mapping, got a scalar`},
		{"unknown file key", checks("files:\n  - path: /x\n    exsits: false"),
			`p.yaml:12:11: unknown key "exsits" in checks.files[0] of stage "s" (did you mean "exists"?)`},
		{"file without path", checks("files:\n  - path: /x\n  - mode: '0755'"),
			`p.yaml:12:11: checks.files[1] of stage "s" has no path: (name an absolute path in the image)`},
		{"relative path", checks("files: [{path: app/x}]"),
			`p.yaml:10:22: checks.files[0].path of stage "s": "app/x" is not an absolute path (such as /app)`},
		{"exists a string", checks("files: [{path: /x, exists: 'no'}]"),
			`p.yaml:10:34: checks.files[0].exists of stage "s" must be true or false, got "no"`},
		{"mode not octal", checks("files: [{path: /x, mode: '0855'}]"),
			`p.yaml:10:32: checks.files[0].mode of stage "s": "0855" is not an octal file mode up to 07777 (write it like "0755")`},
		{"mode too big", checks("files: [{path: /x, mode: 17777}]"),
			`p.yaml:10:32: checks.files[0].mode of stage "s": "17777" is not an octal file mode up to 07777 (write it like "0755")`},
		{"mode symbolic", checks("files: [{path: /x, mode: rwxr-xr-x}]"),
			`p.yaml:10:32: checks.files[0].mode of stage "s": "rwxr-xr-x" is not an octal file mode up to 07777 (write it like "0755")`},
		{"owner by name", checks("files: [{path: /x, owner: 'root:root'}]"),
			`p.yaml:10:33: checks.files[0].owner of stage "s": "root:root" is not a numeric owner (write uid or uid:gid, such as "0:0" or "1000")`},
		{"owner too big", checks("files: [{path: /x, owner: '4294967296'}]"),
			`p.yaml:10:33: checks.files[0].owner of stage "s": "4294967296" is not a numeric owner (write uid or uid:gid, such as "0:0" or "1000")`},
		{"bad contains", checks("files: [{path: /x, contains: 'a(b'}]"),
			`p.yaml:10:36: checks.files[0].contains of stage "s": "a(b" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`},
		{"empty contains", checks("files: [{path: /x, contains: ''}]"),
			`p.yaml:10:36: checks.files[0].contains of stage "s": "" is an empty regular expression (to match empty text write ^$, or remove the key)`},
		{"exists false with mode", checks("files:\n  - path: /x\n    exists: false\n    mode: '0755'"),
			`p.yaml:13:17: checks.files[0].mode of stage "s": a path checked with exists: false has no mode (remove mode:, or exists: false)`},
		{"exists false with contains", checks("files:\n  - {path: /x, contains: y, exists: false}"),
			`p.yaml:11:32: checks.files[0].contains of stage "s": a path checked with exists: false has no contains (remove contains:, or exists: false)`},
		{"unknown arg in path", checks("files: [{path: '${APP}/x'}]"),
			`p.yaml:10:22: unknown arg ${APP} in checks.files[0].path of stage "s" (declare it under args:)`},
		{"misspelt arg", checks("files: [{path: '/${a}'}]"),
			`p.yaml:10:22: unknown arg ${a} in checks.files[0].path of stage "s" (did you mean ${A}? otherwise declare it under args:)`},
		{"unknown command key", checks("commands:\n  - run: 'true'\n    exit_code: 1"),
			`p.yaml:12:11: unknown key "exit_code" in checks.commands[0] of stage "s"`},
		{"command without run", checks("commands:\n  - name: x"),
			`p.yaml:11:11: checks.commands[0] of stage "s" has no run: (give the command to run in the image)`},
		{"empty run", checks("commands: [{run: []}]"), `p.yaml:10:24: checks.commands[0].run of stage "s" is an empty command`},
		{"exit not a number", checks("commands: [{run: x, exit: one}]"),
			`p.yaml:10:33: checks.commands[0].exit of stage "s" must be an exit code from 0 to 255, got "one"`},
		{"exit too big", checks("commands: [{run: x, exit: 256}]"),
			`p.yaml:10:33: checks.commands[0].exit of stage "s" must be an exit code from 0 to 255, got "256"`},
		{"bad stderr", checks("commands: [{run: x, stderr: '[a-'}]"),
			`p.yaml:10:35: checks.commands[0].stderr of stage "s": "[a-" is not a valid regular expression: missing closing ] (escape characters meant literally with \)`},
		{"unknown metadata key", checks("metadata: {entrypont: [x]}"),
			`p.yaml:10:18: unknown key "entrypont" in checks.metadata of stage "s" (did you mean "entrypoint"?)`},
		{"metadata bad expose", checks("metadata: {expose: [http]}"),
			`p.yaml:10:27: checks.metadata.expose of stage "s": "http" is not a port (write 3000 or 3000/tcp)`},
		{"metadata relative workdir", checks("metadata: {workdir: app}"),
			`p.yaml:10:27: checks.metadata.workdir of stage "s": "app" is not an absolute path (such as /app)`},
		{"metadata bad env name", checks("metadata: {env: {1X: y}}"),
			`p.yaml:10:24: checks.metadata.env of stage "s": "1X" is not an env var name (use letters, digits and _, such as PORT)`},
		{"metadata env refers to env", checks("metadata: {env: {PATH: '/x:${PATH}'}}"),
			`p.yaml:10:30: unknown arg ${PATH} in checks.metadata.env of stage "s" (declare it under args:)`},
		{"metadata empty cmd", checks("metadata: {cmd: ''}"), `p.yaml:10:23: checks.metadata.cmd of stage "s" is an empty command`},
		{"unknown smoke key", checks("smoke: {log: x, timout: 3s}"),
			`p.yaml:10:23: unknown key "timout" in checks.smoke of stage "s" (did you mean "timeout"?)`},
		{"smoke without probe", checks("smoke: {port_env: PORT}"),
			`p.yaml:10:14: checks.smoke of stage "s" has neither http:, tcp: nor log: (say how to tell that the service is ready, such as log: "Listening at")`},
		{"tcp without a port", checks("smoke: {tcp: true}"),
			`p.yaml:10:14: checks.smoke.tcp of stage "s" needs port_env: (the env var through which the service reads its port, such as PORT), or port: (the port it listens on)`},
		{"port and port_env", checks("smoke: {port_env: PORT, port: 8000, tcp: true}"),
			`p.yaml:10:37: checks.smoke.port of stage "s": port and port_env exclude each other (port_env passes a free port to a service that reads it; port is for one that cannot be told)`},
		{"port out of range", checks("smoke: {port: 70000, tcp: true}"),
			`p.yaml:10:21: checks.smoke.port of stage "s": "70000" is not a port from 1 to 65535 (such as 8000)`},
		{"http without port_env", checks("smoke:\n  http: {path: /health}"),
			`p.yaml:11:15: checks.smoke.http of stage "s" needs port_env: in smoke (the env var through which the service reads its port, such as PORT), or port: (the port it listens on)`},
		{"http without path", checks("smoke: {port_env: PORT, http: {status: 200}}"),
			`p.yaml:10:37: checks.smoke.http of stage "s" has no path: (write the path to GET, such as path: /health)`},
		{"http relative path", checks("smoke: {port_env: PORT, http: {path: health}}"),
			`p.yaml:10:44: checks.smoke.http.path of stage "s": "health" does not start with / (such as /health)`},
		{"http status out of range", checks("smoke: {port_env: PORT, http: {path: /, status: 99}}"),
			`p.yaml:10:55: checks.smoke.http.status of stage "s" must be an HTTP status from 100 to 599, got "99"`},
		{"unknown http key", checks("smoke: {port_env: PORT, http: {path: /, code: 200}}"),
			`p.yaml:10:47: unknown key "code" in checks.smoke.http of stage "s" (did you mean "body"?)`},
		{"bad body", checks("smoke: {port_env: PORT, http: {path: /, body: '*ok'}}"),
			`p.yaml:10:53: checks.smoke.http.body of stage "s": "*ok" is not a valid regular expression: missing argument to repetition operator (escape characters meant literally with \)`},
		{"bad port_env", checks("smoke: {port_env: 'my-port', log: x}"),
			`p.yaml:10:25: checks.smoke.port_env of stage "s": "my-port" is not an env var name (use letters, digits and _, such as PORT)`},
		{"timeout without unit", checks("smoke: {log: x, timeout: 30}"),
			`p.yaml:10:32: checks.smoke.timeout of stage "s": "30" is not a duration above zero (such as 30s or 2m)`},
		{"timeout zero", checks("smoke: {log: x, timeout: 0s}"),
			`p.yaml:10:32: checks.smoke.timeout of stage "s": "0s" is not a duration above zero (such as 30s or 2m)`},
		{"smoke bad env name", checks("smoke: {log: x, env: {A-B: 1}}"),
			`p.yaml:10:29: invalid env name "A-B" in checks.smoke.env of stage "s" (use letters, digits and _)`},
		{"bad log", checks("smoke: {log: '(?P<x'}"),
			`p.yaml:10:20: checks.smoke.log of stage "s": "(?P<x" is not a valid regular expression: invalid named capture (escape characters meant literally with \)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tc.yaml), nil)
			if err == nil {
				t.Fatalf("Parse succeeded, want\n%s\nin\n%s", tc.want, tc.yaml)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error is %T, want *pipeline.Error", err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("\ngot:  %s\nwant: %s\nin:\n%s", got, tc.want, tc.yaml)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines")
			}
		})
	}
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(s, "\n", "\n"+by) + "\n"
}
