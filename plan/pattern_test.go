package plan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

const patternPipeline = `services:
  db:
    image: a:1
    ports: {pg: PGPORT}
    readiness: {log: "ready", http: {path: /, body: ok}}
stages:
  web:
    from: a:1
    checks:
      files: [{path: /e, contains: x}]
      commands: [{run: "true", stdout: x, stderr: x}]
      smoke: {port_env: PORT, log: x, http: {path: /, body: x}}
  tests:
    from: web
    services: [db]
    test: "true"
`

// A pattern that does not compile stops the plan with the key, its place
// and the fix. Parse refuses such a pipeline first; this is one built by
// other means.
func TestPatternErrors(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(p *pipeline.Pipeline) *pipeline.Value
		want  string
	}{
		{"file contains", func(p *pipeline.Pipeline) *pipeline.Value { return &p.Stage("web").Checks.Files[0].Contains },
			`p.yaml:10:36: checks.files[0].contains of stage "web": "(" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`},
		{"command stdout", func(p *pipeline.Pipeline) *pipeline.Value { return &p.Stage("web").Checks.Commands[0].Stdout },
			`p.yaml:11:40: checks.commands[0].stdout of stage "web": "(" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`},
		{"command stderr", func(p *pipeline.Pipeline) *pipeline.Value { return &p.Stage("web").Checks.Commands[0].Stderr },
			`p.yaml:11:51: checks.commands[0].stderr of stage "web": "(" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`},
		{"smoke log", func(p *pipeline.Pipeline) *pipeline.Value { return &p.Stage("web").Checks.Smoke.Log },
			`p.yaml:12:36: checks.smoke.log of stage "web": "(" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`},
		{"smoke body", func(p *pipeline.Pipeline) *pipeline.Value { return &p.Stage("web").Checks.Smoke.HTTP.Body },
			`p.yaml:12:61: checks.smoke.http.body of stage "web": "(" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`},
		{"readiness log", func(p *pipeline.Pipeline) *pipeline.Value { return &p.Service("db").Readiness.Log },
			`p.yaml:5:22: readiness of service "db".log: "(" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`},
		{"readiness body", func(p *pipeline.Pipeline) *pipeline.Value { return &p.Service("db").Readiness.HTTP.Body },
			`p.yaml:5:53: readiness of service "db".http.body: "(" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			p, err := pipeline.Parse("p.yaml", []byte(patternPipeline), nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := targets.Resolve(p, []string{"web", "tests"})
			if err != nil {
				t.Fatal(err)
			}
			tt.spoil(p).Value = "("
			_, err = Make(p, r, fstest.MapFS{})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got %v\nwant %s", err, tt.want)
			}
			if !errors.As(err, new(*pipeline.Error)) {
				t.Errorf("%T is not a pipeline error (exit code 2)", err)
			}
		})
	}
}

// Check patterns are multi-line; log patterns match the whole log.
func TestPatternModes(t *testing.T) {
	log := []byte("[2025-03-02 10:00:00] [1] [INFO] Starting gunicorn 23.0.0\n[2025-03-02 10:00:00] [1] [INFO] Listening at: http://0.0.0.0:3000 (1)\n")
	tests := []struct {
		re          string
		line, whole bool
	}{
		{"Listening at", true, true},
		{`^Listening`, false, false},
		{`^\[.*\] Starting gunicorn`, true, true},
		{`\[INFO\] Listening at: http://0\.0\.0\.0:\d+`, true, true},
		{`^\[.*\] \[1\] \[INFO\] Listening`, true, false},
		{`\(1\)$`, true, false},
		{"Booting worker", false, false},
	}
	for _, tt := range tests {
		lp, err := NewPattern(tt.re)
		if err != nil {
			t.Fatal(err)
		}
		gp, err := NewLogPattern(tt.re)
		if err != nil {
			t.Fatal(err)
		}
		if got := lp.Match(log); got != tt.line {
			t.Errorf("NewPattern(%q).Match = %v, want %v", tt.re, got, tt.line)
		}
		if got := gp.Match(log); got != tt.whole {
			t.Errorf("NewLogPattern(%q).Match = %v, want %v", tt.re, got, tt.whole)
		}
	}
	bad, err := NewPattern("(")
	if want := `"(" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if bad.String() != "(" || bad.Match([]byte("(")) {
		t.Errorf("a pattern that did not compile: text %q, matches %v; want its text, matching nothing", bad, bad.Match([]byte("(")))
	}
	if zero := (Pattern{}); !zero.IsZero() || zero.Match(nil) {
		t.Error("the unset pattern is not zero, or matches")
	}
}

// The plan's JSON holds a pattern's text (and nothing for an unset one), so
// a gate's services digest, which keys its cached verdict, is what it was
// when patterns were strings.
func TestPatternJSON(t *testing.T) {
	text := strings.Replace(servicesPipeline, "readiness: {http: {path: /health}}", `readiness: {log: "^ready\\s", http: {path: /health, body: "ok$"}}`, 1)
	p := servicesPlan(t, text)
	if got, want := p.ServicesDigest(p.Stage("ext")), "a0c3db81b402404d851f762460fdff1201026b8b7e0dbc846beb344e2a9b437f"; got != want {
		t.Errorf("services digest %s, want %s (as before patterns were compiled)", got, want)
	}
	b, err := json.Marshal(p.Service("api").Readiness)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"log":"^ready\\s","http":{"port":"http","path":"/health","status":200,"body":"ok$"}}`; got != want {
		t.Errorf("readiness JSON %s, want %s", got, want)
	}
	var back Readiness
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Log.Match([]byte("ready \n")) || back.Log.Match([]byte("x\nready \n")) || !back.HTTP.Body.Match([]byte("ok\nmore")) {
		t.Errorf("read back from JSON, the patterns lost their modes: %+v", back)
	}
	if err := json.Unmarshal([]byte(`{"log":"("}`), &back); err == nil || err.Error() != `"(" is not a valid regular expression: missing closing ) (escape characters meant literally with \)` {
		t.Errorf("a bad pattern in JSON: %v", err)
	}
	b, _ = json.Marshal(p.Service("db").Readiness)
	if got, want := string(b), `{"command":["pg_isready"],"shell":true}`; got != want {
		t.Errorf("readiness JSON %s, want %s", got, want)
	}
}
