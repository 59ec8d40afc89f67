package stagebuild_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The pure packages must not import the BuildKit client, cobra or a console:
// they describe and plan the build, and only llbgen, build and cli talk to
// BuildKit or a terminal.
func TestPurePackagesStayPure(t *testing.T) {
	forbidden := []string{"github.com/moby/buildkit", "github.com/spf13/cobra", "github.com/containerd/console"}
	for _, pkg := range []string{"./pipeline", "./targets", "./plan", "./manifest", "./initgen", "./dockerfile", "./report", "./verify"} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 5 {
			t.Fatalf("go list %s returned only %q", pkg, deps)
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}

// llbgen may use the LLB client library but not the session client.
func TestLLBGenImportsOnlyLLB(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "./llbgen").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, imp := range strings.Fields(string(out)) {
		if imp == "github.com/moby/buildkit/client" || strings.HasPrefix(imp, "github.com/spf13/cobra") {
			t.Errorf("llbgen imports %s", imp)
		}
	}
}

// dockerimport reads Dockerfiles with BuildKit's own parser, and nothing
// else of BuildKit: no client, no LLB, no session; and no cobra or console.
func TestDockerImportUsesOnlyTheParser(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./dockerimport").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{"github.com/moby/buildkit/frontend/dockerfile/", "github.com/moby/buildkit/util/stack", "github.com/moby/buildkit/util/suggest"}
	parser := false
	for _, d := range strings.Fields(string(out)) {
		parser = parser || d == "github.com/moby/buildkit/frontend/dockerfile/instructions"
		for _, f := range []string{"github.com/spf13/cobra", "github.com/containerd/console"} {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("dockerimport depends on %s", d)
			}
		}
		if !strings.HasPrefix(d, "github.com/moby/buildkit/") {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(d, a) || d == a
		}
		if !ok || d == "github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb" {
			t.Errorf("dockerimport depends on %s (only BuildKit's Dockerfile parser is allowed)", d)
		}
	}
	if !parser {
		t.Error("dockerimport does not use BuildKit's instructions parser")
	}
}

// The services runtime knows nothing of the build's runner: it reaches the
// solve only through its own Session interface.
func TestServicesDoNotImportBuild(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./services").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		if d == "github.com/stagebuild/stagebuild/build" || d == "github.com/stagebuild/stagebuild/cli" || strings.HasPrefix(d, "github.com/spf13/cobra") {
			t.Errorf("services depends on %s", d)
		}
	}
}

// The probe that runs on the daemon's side stays small and static: the
// standard library only, and not net/http.
func TestProbeImportsOnlySmallStd(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}} {{if eq .ImportPath \"net/http\"}}net/http{{end}}", "./cmd/stagebuild-probe").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		if d != "github.com/stagebuild/stagebuild/cmd/stagebuild-probe" && d != "github.com/stagebuild/stagebuild/internal/probe" {
			t.Errorf("cmd/stagebuild-probe depends on %s", d)
		}
	}
}
