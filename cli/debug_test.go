package cli

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/build"
)

func runDebugCmd(t *testing.T, in *bytes.Buffer, args ...string) (*BuildOptions, error) {
	t.Helper()
	var got *BuildOptions
	var out, errb bytes.Buffer
	cmd := newDebugCmd(Streams{In: in, Out: &out, Err: &errb}, func(o *BuildOptions) error {
		got = o
		return nil
	})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return got, err
}

// Everything after -- is the command; before it, build's DIR and flags.
func TestDebugOptions(t *testing.T) {
	o, err := runDebugCmd(t, &bytes.Buffer{}, "examples/notes-pg", "--target", "service", "--", "ls", "-l", "/app/tests")
	if err != nil {
		t.Fatal(err)
	}
	if o.ContextDir != "examples/notes-pg" || !reflect.DeepEqual(o.Targets, []string{"service"}) || o.Progress != "plain" {
		t.Errorf("options %+v", o)
	}
	if o.Debug == nil || !reflect.DeepEqual(o.Debug.Args, []string{"ls", "-l", "/app/tests"}) || o.Debug.Tty || o.Debug.Stdin != nil {
		t.Errorf("debug %+v", o.Debug)
	}
	if len(o.Outputs) != 0 {
		t.Errorf("debug exports %v", o.Outputs)
	}
}

func TestDebugUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		// No terminal here: a shell needs one.
		{[]string{"."}, "stagebuild debug opens a shell on a terminal: run it from one, or give a command after --"},
		{[]string{"a", "b", "--", "ls"}, "debug takes at most one DIR argument before --, got 2 (a b)"},
	}
	for _, tc := range tests {
		_, err := runDebugCmd(t, &bytes.Buffer{}, tc.args...)
		var ue *usageError
		if err == nil || err.Error() != tc.want || !errors.As(err, &ue) {
			t.Errorf("%q: error %v, want usage error %q", tc.args, err, tc.want)
		}
	}
}

// debug exits with its command's code when a gate was debugged, and with
// the build's otherwise.
func TestDebugOutcome(t *testing.T) {
	var errb bytes.Buffer
	s := Streams{Err: &errb}
	gateErr := &build.GateError{}
	cases := []struct {
		name string
		d    *build.Debug
		err  error
		code int
	}{
		{"no gate failed", &build.Debug{}, nil, ExitOK},
		{"build broke first", &build.Debug{}, errors.New("boom"), ExitBuild},
		{"command failed", &build.Debug{Args: []string{"false"}, Gate: "tests", Ran: true, Exit: 7}, gateErr, 7},
		{"command passed", &build.Debug{Args: []string{"true"}, Gate: "tests", Ran: true}, gateErr, ExitOK},
		{"container broke", &build.Debug{Gate: "tests"}, errors.New("debug: no container"), ExitBuild},
	}
	for _, c := range cases {
		if code := ExitCode(debugOutcome(s, c.d, c.err)); code != c.code {
			t.Errorf("%s: exit %d, want %d", c.name, code, c.code)
		}
	}
	if !strings.Contains(errb.String(), "no gate failed; nothing to debug") {
		t.Errorf("stderr: %s", errb.String())
	}
}
