package llbgen

import (
	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/plan"
)

// ResultDir is where a test command's or a command check's result is
// written, on a scratch mount that never lands in a layer: "exit" holds the
// exit code; "log" (tests) or "stdout" and "stderr" (checks) the output.
const ResultDir = "/.stagebuild/result"

// testWrapper runs the test command ("$@"), records its exit code and
// output in ResultDir, and succeeds whenever it could record them. The gate
// is judged from the result, so a failing test run is cached like a passing
// one: the same inputs give the same verdict and the same reports, and
// --rerun-tests reruns it on purpose. A failure whose output shows an
// infrastructure failure is no verdict: the step fails (infraCheck), so
// nothing is cached. When the exit code could not be recorded (a full disk,
// a killed shell), the step fails and says what the result directory held.
var testWrapper = `r=` + ResultDir + `
if command -v tee >/dev/null 2>&1; then
  { "$@"; echo $? >"$r/exit"; } 2>&1 | tee "$r/log"
else
  "$@" >"$r/log" 2>&1; echo $? >"$r/exit"; cat "$r/log"
fi
test -s "$r/exit" || {
  echo "stagebuild: the test's exit status could not be recorded in $r:" >&2
  ls -la "$r" >&2 2>/dev/null; df "$r" >&2 2>/dev/null; exit 1
}
` + infraCheck()

// checkWrapper runs a command check and records its exit code and output.
const checkWrapper = `r=` + ResultDir + `
"$@" >"$r/stdout" 2>"$r/stderr"; echo $? >"$r/exit"`

// OutputDir is where, in the output of a result or reports mount, the
// mounted directory's files are: the mount is this empty directory, made
// writable by any user, since a test or an image may run as any user.
const OutputDir = "/d"

// writableMount mounts an empty directory at target. The directory is made
// on top of root, the state the exec runs in, not on an empty (scratch)
// state: an op with no inputs has the same vertex in every build on the
// daemon, and a build that joins that vertex while another build that ran
// it still holds it finds none of the exec's cache (see InvocationAttr in
// image.go). On top of root, it is this invocation's own vertex, and its
// cache key still follows root's alone. Only the directory is mounted.
func writableMount(target string, root llb.State) llb.RunOption {
	dir := root.File(llb.Rm(OutputDir, llb.WithAllowNotFound(true)).Mkdir(OutputDir, 0o777),
		llb.WithCustomName("[internal] result directory"))
	return llb.AddMount(target, dir, llb.SourcePath(OutputDir))
}

func wrap(script string, args []string) []string {
	return append([]string{"/bin/sh", "-c", script, "stagebuild"}, args...)
}

// test emits a gate's test command. It fills s.Result and, with a reports
// directory, s.Reports; the returned root is the stage's state.
func test(st llb.State, step plan.Step, name, reports string, rerun bool, s *Stage, binds []llb.RunOption) llb.State {
	ro := append(runOptions(step, name, binds), s.exec...)
	script := testWrapper
	if len(s.services) > 0 { // the gate runs beside services (services.go)
		script = servicesPrelude + testWrapper
		if s.frontendEnv {
			script = frontendServicesPrelude + testWrapper
		}
		ro = append(ro, s.services...)
	}
	ro = append(ro, llb.Args(wrap(script, argv(step.Args, step.Shell))))
	if rerun {
		ro = append(ro, llb.IgnoreCache)
	}
	ro = append(ro, writableMount(ResultDir, st))
	if reports != "" {
		ro = append(ro, writableMount(reports, st))
	}
	ex := st.Run(ro...)
	s.TestBase = st
	s.Result = ex.GetMount(ResultDir)
	if reports != "" {
		r := ex.GetMount(reports)
		s.Reports = &r
	}
	return ex.Root()
}

// CommandCheck runs a command check in image and returns its result
// directory (see ResultDir).
func (g *Graph) CommandCheck(stage string, c plan.CommandCheck, name string) llb.State {
	st := g.stages[stage].State
	ro := []llb.RunOption{llb.Args(wrap(checkWrapper, argv(c.Args, c.Shell))), llb.WithCustomName(name), writableMount(ResultDir, st)}
	ex := st.Run(append(ro, g.exec...)...)
	return ex.GetMount(ResultDir)
}
