package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stagebuild/stagebuild/build"
)

// printSummary tells what each target produced, and shows the tail of every
// failed gate's output: with --progress quiet or rawjson it is the only place
// a human sees why the tests failed.
func printSummary(s Streams, res *build.Result, outputs map[string][]build.Output, err error) {
	var ge *build.GateError
	if errors.As(err, &ge) {
		for _, f := range ge.Failures {
			fmt.Fprintf(s.Err, "------ gate %s: %s (exit code %d) ------\n", f.Gate, f.Command, f.ExitCode)
			for _, l := range f.Log {
				fmt.Fprintln(s.Err, l)
			}
			fmt.Fprintln(s.Err, "------")
		}
	}
	if res == nil {
		return
	}
	for _, t := range res.Targets {
		if t.Stage == "" || (err != nil && len(t.Exported) == 0) {
			continue
		}
		gates := "no gates"
		if len(t.Gates) > 0 {
			gates = "gates passed: " + strings.Join(t.Gates, ", ")
		}
		switch {
		case len(t.Exported) > 0:
			fmt.Fprintf(s.Err, "stagebuild: %s built (%s) → %s\n", t.Stage, gates, strings.Join(t.Exported, ", "))
		case len(outputs[t.Stage]) == 0:
			fmt.Fprintf(s.Err, "stagebuild: %s built (%s); no output requested, the result stays in the build cache (use -o or -t)\n", t.Stage, gates)
		}
	}
}
