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
