package verify

import (
	"reflect"
	"testing"

	"github.com/stagebuild/stagebuild/plan"
)

func TestCommand(t *testing.T) {
	noPytest := plan.CommandCheck{Name: "pytest is not installed", Exit: 1, Stderr: pat("No module named '?pytest'?$"), Source: "s:40:11"}
	traceback := []byte("Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nModuleNotFoundError: No module named 'pytest'\n")
	tests := []struct {
		name  string
		check plan.CommandCheck
		res   CommandResult
		want  []string
	}{
		{"passes", noPytest, CommandResult{Exit: 1, Stderr: traceback}, nil},
		{"default exit 0", plan.CommandCheck{Name: "imports"}, CommandResult{Stdout: []byte("ok\n")}, nil},
		{"stdout matches", plan.CommandCheck{Name: "v", Stdout: pat(`^Python 3\.11\.`)}, CommandResult{Stdout: []byte("Python 3.11.9\n")}, nil},
		{"pytest present", noPytest, CommandResult{Exit: 0, Stdout: []byte("\n")}, []string{
			`s:40:11: commands "pytest is not installed": expected exit code 1, got 0`,
			`s:40:11: commands "pytest is not installed": expected stderr matching "No module named '?pytest'?$", got no stderr`,
		}},
		{"wrong error", noPytest, CommandResult{Exit: 1, Stderr: []byte("Segmentation fault\n")}, []string{
			"s:40:11: commands \"pytest is not installed\": expected stderr matching \"No module named '?pytest'?$\", got no match\n" +
				"  stderr:\n    Segmentation fault",
		}},
		{"exit quotes output", plan.CommandCheck{Name: "imports"}, CommandResult{Exit: 1, Stdout: []byte("starting\n"), Stderr: traceback}, []string{
			"commands \"imports\": expected exit code 0, got 1\n  stdout:\n    starting\n" +
				"  stderr:\n    Traceback (most recent call last):\n      File \"<string>\", line 1, in <module>\n" +
				"    ModuleNotFoundError: No module named 'pytest'",
		}},
		{"stdout mismatch", plan.CommandCheck{Name: "v", Stdout: pat(`^Python 3\.12`)}, CommandResult{Stdout: []byte("Python 3.11.9\n")}, []string{
			"commands \"v\": expected stdout matching \"^Python 3\\\\.12\", got no match\n  stdout:\n    Python 3.11.9",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := messages(Command(tc.check, tc.res)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("failures =\n%s\nwant\n%s", join(got), join(tc.want))
			}
		})
	}
}

func TestHTTPOK(t *testing.T) {
	c := &plan.SmokeCheck{HTTPPath: "/health", HTTPBody: pat(`"status": ?"ok"`)}
	tests := []struct {
		check  *plan.SmokeCheck
		status int
		body   string
		ok     bool
		why    string
	}{
		{c, 200, `{"status": "ok"}`, true, ""},
		{c, 200, `{"status":"ok"}`, true, ""},
		{c, 503, `{"status": "ok"}`, false, "GET /health answered 503, expected 200"},
		{c, 200, `{"status": "starting"}`, false, `GET /health answered 200, but the body does not match "\"status\": ?\"ok\"": "{\"status\": \"starting\"}"`},
		{&plan.SmokeCheck{HTTPPath: "/", HTTPStatus: 204}, 204, "", true, ""},
		{&plan.SmokeCheck{HTTPPath: "/", HTTPStatus: 204}, 200, "hello", false, "GET / answered 200, expected 204"},
		{nil, 200, "", false, "no smoke check"},
	}
	for _, tc := range tests {
		ok, why := HTTPOK(tc.check, tc.status, []byte(tc.body))
		if ok != tc.ok || why != tc.why {
			t.Errorf("HTTPOK(%d, %q) = %v, %q; want %v, %q", tc.status, tc.body, ok, why, tc.ok, tc.why)
		}
	}
	long := make([]byte, 500)
	for i := range long {
		long[i] = 'x'
	}
	if _, why := HTTPOK(c, 200, long); len(why) > 300 {
		t.Errorf("a long body is quoted whole: %d bytes", len(why))
	}
}

func TestSmokeFailure(t *testing.T) {
	f := SmokeFailure(&plan.SmokeCheck{Source: "s:50:7"}, "the service exited with status 3 before it was ready")
	if got, want := f.String(), "s:50:7: smoke: the service exited with status 3 before it was ready"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := SmokeFailure(nil, "x").String(); got != "smoke: x" {
		t.Errorf("got %q", got)
	}
}
