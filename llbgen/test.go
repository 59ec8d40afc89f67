package llbgen

import (
	"encoding/json"

	"github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"

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

// resultDir is an empty directory for a result or reports mount, made on
// top of origin: the state after the first step of the stage's chain
// (Stage.origin), such as the copy of a requirements file.
//   - Not on an empty (scratch) state: an op with no inputs has the same
//     vertex in every build on the daemon, and a build that joins that
//     vertex while another build that ran it still holds it finds none of
//     the exec's cache (see InvocationAttr in image.go). On a state of the
//     chain it is this invocation's own vertex.
//   - Not on the base image itself, which every project on that base
//     shares: on a fresh daemon, a build that runs while another build
//     that pulled the base still runs finds none of its checks' cache
//     (TestCachedWhileAnotherBuildHoldsBase).
//   - Not on the state the exec runs in: its cache key would change with
//     every edit of the stage's sources, and the op would run again, on the
//     critical path before the test, on every build. The chain's first
//     step rarely changes, so the op comes from the cache.
//   - Its key names its owner (resultOwner), written beside the directory:
//     BuildKit merges a build's edge into another running build's edge
//     with the same cache key, and one that the other build ran loses the
//     cache of everything above it (image.go), so two projects whose
//     chains start alike do not share it.
//
// writableMount mounts only the directory, not the state under it.
func resultDir(origin llb.State, owner string) llb.State {
	return origin.File(llb.Rm(OutputDir, llb.WithAllowNotFound(true)).Mkdir(OutputDir, 0o777).
		Mkfile(ownerFile, 0o444, []byte(owner+"\n")), llb.WithCustomName("[internal] result directory"))
}

// writableMount mounts dir's empty directory (resultDir) at target.
func writableMount(target string, dir llb.State) llb.RunOption {
	return llb.AddMount(target, dir, llb.SourcePath(OutputDir))
}

// ownerFile names, beside a result directory, what it is for (resultOwner).
const ownerFile = "/.stagebuild-result-owner"

// resultOwner names what a result directory is for, stable across edits of
// the sources: a digest of the planned stage's name, base and steps (no
// file's content, and no pipeline positions: moving a step to another line,
// or naming the file another way, changes no cache key), and of what (a
// check's name). The stage's checks and other settings are left out, so
// adding a check does not rerun its test.
func resultOwner(ps *plan.Stage, what string) string {
	steps := make([]plan.Step, len(ps.Steps))
	for i, s := range ps.Steps {
		s.Source = ""
		steps[i] = s
	}
	b, _ := json.Marshal(struct {
		Name  string      `json:"name"`
		Base  plan.Base   `json:"base"`
		Steps []plan.Step `json:"steps"`
		What  string      `json:"what"`
	}{ps.Name, ps.Base, steps, what})
	return digest.FromBytes(b).Encoded()[:32]
}

func wrap(script string, args []string) []string {
	return append([]string{"/bin/sh", "-c", script, "stagebuild"}, args...)
}

// test emits a gate's test command. It fills s.Result and, with a reports
// directory, s.Reports; the returned root is the stage's state.
func test(st llb.State, ps *plan.Stage, step plan.Step, name string, rerun bool, s *Stage, binds []llb.RunOption) llb.State {
	reports, owner := ps.Reports, resultOwner(ps, "test")
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
	dir := resultDir(s.origin, owner)
	ro = append(ro, writableMount(ResultDir, dir))
	if reports != "" {
		ro = append(ro, writableMount(reports, dir))
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
	gs := g.stages[stage]
	st := gs.State
	ro := []llb.RunOption{llb.Args(wrap(checkWrapper, argv(c.Args, c.Shell))), llb.WithCustomName(name), writableMount(ResultDir, resultDir(gs.origin, resultOwner(g.svc.pl.Stage(stage), "check "+name)))}
	ex := st.Run(append(ro, g.exec...)...)
	return ex.GetMount(ResultDir)
}
