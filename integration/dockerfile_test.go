package integration

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/tonistiigi/fsutil"

	"github.com/stagebuild/stagebuild/daemon"
	"github.com/stagebuild/stagebuild/testenv"
)

// dockerfileBuild builds target of dockerfileDir/Dockerfile over
// contextDir with BuildKit's built-in dockerfile frontend, on the daemon
// stagebuild uses, and writes it as an OCI tar to dest. It returns the
// build's log output.
func dockerfileBuild(t *testing.T, contextDir, dockerfileDir, target, dest string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	l, err := daemon.LocalDaemon()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(ctx, l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctxFS, err := fsutil.NewFS(contextDir)
	if err != nil {
		t.Fatal(err)
	}
	dfFS, err := fsutil.NewFS(dockerfileDir)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *client.SolveStatus)
	var logs strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		for st := range ch {
			for _, l := range st.Logs {
				logs.Write(l.Data)
			}
			for _, v := range st.Vertexes {
				if v.Error != "" {
					fmt.Fprintf(&logs, "vertex %q: %s\n", v.Name, v.Error)
				}
			}
		}
	}()
	_, err = c.Solve(ctx, nil, client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: map[string]string{"filename": "Dockerfile", "target": target},
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
		Exports: []client.ExportEntry{{Type: client.ExporterOCI, Output: func(map[string]string) (io.WriteCloser, error) {
			return os.Create(dest)
		}}},
	}, ch)
	<-done
	return logs.String(), err
}

// sameImage reports every difference between two images' file lists and
// buildBothWays builds target of dir's pipeline with stagebuild and, as
// `stagebuild dockerfile` ejects it, with BuildKit's Dockerfile frontend,
// and checks that the two images match. It returns the Dockerfile's text
// and stagebuild's and the Dockerfile's images.
func buildBothWays(t *testing.T, dir, target string) (string, *testenv.OCIImage, *testenv.OCIImage) {
	t.Helper()
	out := t.TempDir()
	stagebuild(t, dir, "build", "--target", target, "--progress", "quiet", "-o", "type=oci,dest="+filepath.Join(out, "stagebuild.tar")).mustSucceed(t)
	stagebuild(t, dir, "dockerfile", "--target", target, "-o", filepath.Join(out, "Dockerfile")).mustSucceed(t)
	text, _ := os.ReadFile(filepath.Join(out, "Dockerfile"))
	logs, err := dockerfileBuild(t, dir, out, target, filepath.Join(out, "dockerfile.tar"))
	if err != nil {
		t.Fatalf("building the ejected Dockerfile: %v\n%s\n%s", err, tail(logs, 40), text)
	}
	sb := readImage(t, filepath.Join(out, "stagebuild.tar"))
	df := readImage(t, filepath.Join(out, "dockerfile.tar"))
	sameImage(t, sb, df, "stagebuild", "dockerfile")
	return string(text), sb, df
}

// the config fields a Dockerfile sets.
func sameImage(t *testing.T, a, b *testenv.OCIImage, aName, bName string) {
	t.Helper()
	var onlyA, onlyB []string
	for f := range a.Files {
		if !b.Files[f] {
			onlyA = append(onlyA, f)
		}
	}
	for f := range b.Files {
		if !a.Files[f] {
			onlyB = append(onlyB, f)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	if len(onlyA)+len(onlyB) > 0 || len(a.Files) == 0 {
		t.Errorf("file lists differ (%d vs %d files)\nonly in %s: %q\nonly in %s: %q", len(a.Files), len(b.Files),
			aName, head(strings.Join(onlyA, "\n"), 20), bName, head(strings.Join(onlyB, "\n"), 20))
	}
	ca, cb := a.Config.Config, b.Config.Config
	for _, f := range []struct {
		name string
		x, y any
	}{
		{"Entrypoint", ca.Entrypoint, cb.Entrypoint}, {"Cmd", ca.Cmd, cb.Cmd}, {"Env", ca.Env, cb.Env},
		{"WorkingDir", ca.WorkingDir, cb.WorkingDir}, {"User", ca.User, cb.User},
		{"ExposedPorts", ca.ExposedPorts, cb.ExposedPorts}, {"Labels", ca.Labels, cb.Labels},
	} {
		if !reflect.DeepEqual(f.x, f.y) {
			t.Errorf("config %s: %s has %#v, %s has %#v", f.name, aName, f.x, bName, f.y)
		}
	}
}

// The ejected Dockerfile builds the same service image as stagebuild, on
// the same daemon, and its gates still fail the build.
func TestDockerfileMatchesStagebuild(t *testing.T) {
	t.Parallel()
	dir := copyExample(t)
	// Junk that the plan never sends: the Dockerfile must leave it out too.
	if err := os.MkdirAll(filepath.Join(dir, "app", "__pycache__"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "app", "__pycache__", "stale.cpython-311.pyc"), "junk")
	out := t.TempDir()
	stagebuild(t, dir, "build", "--target", "service", "--progress", "quiet",
		"-o", "type=oci,dest="+filepath.Join(out, "stagebuild.tar")).mustSucceed(t)

	dfDir := filepath.Join(out, "df")
	if err := os.MkdirAll(dfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stagebuild(t, dir, "dockerfile", "-o", filepath.Join(dfDir, "Dockerfile")).mustSucceed(t)
	text, _ := os.ReadFile(filepath.Join(dfDir, "Dockerfile"))
	if strings.Contains(string(text), "# syntax=") || !strings.Contains(string(text), "AS service") {
		t.Fatalf("unexpected Dockerfile:\n%s", text)
	}
	logs, err := dockerfileBuild(t, dir, dfDir, "service", filepath.Join(out, "dockerfile.tar"))
	if err != nil {
		t.Fatalf("building the ejected Dockerfile: %v\n%s\n%s", err, tail(logs, 40), text)
	}
	if !strings.Contains(logs, "passed") {
		t.Errorf("the Dockerfile build of service did not run the tests:\n%s", tail(logs, 40))
	}
	sb := readImage(t, filepath.Join(out, "stagebuild.tar"))
	df := readImage(t, filepath.Join(out, "dockerfile.tar"))
	sameImage(t, sb, df, "stagebuild", "dockerfile")
	for _, bad := range []string{"/app/app/__pycache__", "/tmp/stagebuild-gate-tests", "/tmp/stagebuild-gate-lint", "/app/tests"} {
		if df.Files[bad] {
			t.Errorf("the Dockerfile's service image has %s", bad)
		}
	}

	// A failing test fails the Dockerfile build of the service.
	writeFile(t, filepath.Join(dir, "tests", "test_broken.py"), failingTest)
	failed := filepath.Join(out, "failed.tar")
	logs, err = dockerfileBuild(t, dir, dfDir, "service", failed)
	if err == nil {
		t.Fatalf("the Dockerfile build of service succeeded with a failing test:\n%s", tail(logs, 30))
	}
	if !strings.Contains(err.Error(), "pytest") || !strings.Contains(logs, "stagebuild-deliberate-failure") {
		t.Errorf("the build did not fail on the tests: %v\n%s", err, tail(logs, 30))
	}
	if _, err := os.Stat(failed); !os.IsNotExist(err) {
		t.Errorf("the failed build wrote %s", failed)
	}
}

// quotingPipeline exercises what the Dockerfile lexer and parser would read
// differently if written plainly: spaces, quotes, $ and backslashes in
// config values, a multi-line script, an exec-form command.
const quotingPipeline = `version: 1
default: image
stages:
  base:
    from: busybox:latest
    workdir: /work dir
    env:
      A: "x y"
      B: '${A}-$$ "q" back\slash $HOME'
      C: '$'
    copy: [{src: "my file.txt", to: "/data/my file.txt"}]
    run:
      - |
        echo "one $A" > /out1
        [ -f "/data/my file.txt" ] && echo found >> /out1
      - [sh, -c, 'echo "$B" > /out2']
  image:
    from: base
    user: "1000"
    entrypoint: [/bin/sh, -c, 'echo "$0 <&> $1"']
    cmd: ["it's"]
    labels:
      "org.example/quoted": 'a "b" $c'
    expose: ["8080/udp", "9090"]
`

func TestDockerfileQuoting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), quotingPipeline)
	writeFile(t, filepath.Join(dir, "my file.txt"), randomID())
	_, sb, df := buildBothWays(t, dir, "image")
	// ${A} expands from the env built so far, and the rest stays literal.
	if !slices.ContainsFunc(sb.Config.Config.Env, func(e string) bool {
		return strings.HasPrefix(e, "B=x y-") && strings.Contains(e, ` "q" back\slash`)
	}) || !slices.Contains(sb.Config.Config.Env, "C=$") {
		t.Errorf("stagebuild's env: %q", sb.Config.Config.Env)
	}
	for _, want := range []string{"/out1", "/out2", "/data/my file.txt", "/work dir"} {
		if !df.Files[want] {
			t.Errorf("the Dockerfile's image lacks %s", want)
		}
	}
}

// Requirements generated from poetry.lock (install: auto) reach the
// Dockerfile as heredoc COPYs, and the images match.
func TestDockerfileInstallFromLock(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "poetry")
	text, _, df := buildBothWays(t, dir, "service")
	if !strings.Contains(text, "COPY <<'STAGEBUILD_EOF' .stagebuild/") {
		t.Errorf("no heredoc COPY of the generated requirements:\n%s", text)
	}
	if !df.Files["/usr/local/lib/python3.11/dist-packages/flask"] {
		t.Errorf("flask is not installed in the Dockerfile's image")
	}
}
