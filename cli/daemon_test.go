package cli

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func runDaemonCmd(t *testing.T, args ...string) (*DaemonOptions, error) {
	t.Helper()
	var got *DaemonOptions
	var buf bytes.Buffer
	root := NewRootCmd(Streams{Out: &buf, Err: &buf})
	for _, c := range root.Commands() {
		if c.Name() == "daemon" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(newDaemonCmd(Streams{Out: &buf, Err: &buf}, func(o *DaemonOptions) error { got = o; return nil }))
	root.SetArgs(append([]string{"daemon"}, args...))
	err := root.Execute()
	if err == nil && got == nil {
		t.Fatalf("%q: runF was not called", args)
	}
	return got, err
}

func TestDaemonOptions(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	for name, tc := range map[string]struct {
		args []string
		want DaemonOptions
	}{
		"start":         {[]string{"start"}, DaemonOptions{Action: "start", Format: "text"}},
		"stop":          {[]string{"stop"}, DaemonOptions{Action: "stop", Format: "text"}},
		"status json":   {[]string{"status", "--format", "json"}, DaemonOptions{Action: "status", Format: "json"}},
		"status --addr": {[]string{"--addr", "tcp://bk:1234", "status"}, DaemonOptions{Action: "status", Addr: "tcp://bk:1234", Format: "text"}},
		"prune": {[]string{"prune", "--keep-storage", "1.5GiB", "--keep-duration", "24h", "--all", "--addr", "unix:///x.sock"},
			DaemonOptions{Action: "prune", Addr: "unix:///x.sock", Format: "text", All: true, KeepDuration: 24 * time.Hour, KeepStorage: 1610612736}},
		"prune decimal": {[]string{"prune", "--keep-storage=10GB"}, DaemonOptions{Action: "prune", Format: "text", KeepStorage: 10_000_000_000}},
	} {
		got, err := runDaemonCmd(t, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%s: options\n%+v\nwant\n%+v", name, *got, tc.want)
		}
	}
}

func TestDaemonUsageErrors(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "")
	for args, want := range map[string]string{
		"":                              "daemon: give a command: start, stop, status or prune",
		"restart":                       `unknown daemon command "restart": use start, stop, status or prune`,
		"status now":                    `daemon status takes no arguments, got "now"`,
		"status --format yaml":          `--format "yaml": must be text or json`,
		"prune --keep-storage 10XB":     `--keep-storage: size "10XB": unknown unit "XB" (use B, kB, MB, GB, TB, or KiB, MiB, GiB, TiB)`,
		"prune --keep-storage lots":     `--keep-storage: size "lots": write a number and a unit, such as 10GB, 512MB or 1.5GiB`,
		"prune --keep-duration -1h":     "--keep-duration -1h0m0s: must not be negative",
		"--addr tcp://bk:1234 start":    "daemon start manages only the local daemon, but --addr/BUILDKIT_HOST selects tcp://bk:1234: unset it",
		"stop --addr unix:///other.sck": "daemon stop manages only the local daemon, but --addr/BUILDKIT_HOST selects unix:///other.sck: unset it",
		"start --keep-storage 1GB":      "unknown flag: --keep-storage (see 'stagebuild daemon start --help')",
	} {
		_, err := runDaemonCmd(t, strings.Fields(args)...)
		if err == nil || err.Error() != want || ExitCode(err) != ExitUsage {
			t.Errorf("daemon %s: %v (exit %d), want %s", args, err, ExitCode(err), want)
		}
	}
	t.Setenv("BUILDKIT_HOST", "tcp://remote:1234")
	_, err := runDaemonCmd(t, "stop")
	if want := "daemon stop manages only the local daemon, but --addr/BUILDKIT_HOST selects tcp://remote:1234: unset it"; err == nil || err.Error() != want {
		t.Errorf("stop with BUILDKIT_HOST: %v", err)
	}
	if got, err := runDaemonCmd(t, "status"); err != nil || got.Addr != "" {
		t.Errorf("status with BUILDKIT_HOST: %+v, %v (the daemon package reads it)", got, err)
	}
}
