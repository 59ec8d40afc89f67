package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/client"

	"github.com/stagebuild/stagebuild/daemon"
	"github.com/stagebuild/stagebuild/testenv"
)

var buildctlOnce struct {
	sync.Once
	path string
	err  error
}

// buildctlBin builds bin/buildctl from the pinned BuildKit once.
func buildctlBin(t *testing.T) string {
	t.Helper()
	buildctlOnce.Do(func() {
		buildctlOnce.path = filepath.Join(repoRoot, "bin", "buildctl")
		if _, err := os.Stat(buildctlOnce.path); err == nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", buildctlOnce.path, "github.com/moby/buildkit/cmd/buildctl")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			buildctlOnce.err = errors.New(string(out))
		}
	})
	if buildctlOnce.err != nil {
		t.Fatalf("building bin/buildctl: %v", buildctlOnce.err)
	}
	return buildctlOnce.path
}

// buildctl runs bin/buildctl against the local daemon in dir.
func buildctl(t *testing.T, dir string, args ...string) result {
	t.Helper()
	l, err := daemon.LocalDaemon()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildctlBin(t), append([]string{"--addr", l.Addr()}, args...)...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running buildctl: %v", err)
	}
	t.Logf("buildctl %s → exit %d", strings.Join(args, " "), r.code)
	return r
}

// frontendArgs are buildctl's arguments for building target of dir's
// stagebuild.yaml through the frontend image.
func frontendArgs(target string, extra ...string) []string {
	return append([]string{"build", "--progress", "plain", "--frontend", "gateway.v0", "--opt", "source=" + env.FrontendImage,
		"--local", "context=.", "--local", "dockerfile=.", "--opt", "filename=stagebuild.yaml", "--opt", "target=" + target}, extra...)
}

// imageDigest reads containerimage.digest from a metadata file.
func imageDigest(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	d, _ := m["containerimage.digest"].(string)
	if d == "" {
		t.Fatalf("no containerimage.digest in %s:\n%s", file, b)
	}
	return d
}

// requireNoImage fails when ref exists in the local registry.
func requireNoImage(t *testing.T, ref string) {
	t.Helper()
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if desc, err := remote.Head(tag, remote.WithContext(t.Context())); err == nil {
		t.Errorf("%s was pushed (%s) although its gate failed", ref, desc.Digest)
	}
}

// The frontend through buildctl --frontend gateway.v0: a passing gate gives
// the same image digest as `stagebuild build` (SOURCE_DATE_EPOCH set both
// ways); a failing gate fails the solve, names the failing test from the
// gate's JUnit report, and pushes nothing.
func TestFrontendBuildctl(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "frontend")
	writeFile(t, filepath.Join(dir, "app.txt"), "hello "+randomID()+"\n")
	const epoch = "1700000000"
	stagebuildEnv(t, dir, []string{"SOURCE_DATE_EPOCH=" + epoch}, "build", "--progress", "plain", "--target", "service",
		"--metadata-file", "cli.json", "-o", "type=oci,dest=cli.tar").mustSucceed(t)
	r := buildctl(t, dir, frontendArgs("service", "--opt", "build-arg:SOURCE_DATE_EPOCH="+epoch, "--metadata-file", "fe.json",
		"--output", "type=oci,dest=fe.tar,rewrite-timestamp=true")...)
	if r.code != 0 {
		t.Fatalf("frontend build of a passing gate: exit %d\n%s", r.code, tail(r.stderr, 40))
	}
	if cli, fe := imageDigest(t, filepath.Join(dir, "cli.json")), imageDigest(t, filepath.Join(dir, "fe.json")); cli != fe {
		t.Errorf("same pipeline, same SOURCE_DATE_EPOCH: stagebuild build gave %s, the frontend %s", cli, fe)
	}

	writeFile(t, filepath.Join(dir, "app.txt"), "broken "+randomID()+"\n")
	ref := testenv.RegistryAddr + "/sbtest/frontend-fail:" + randomID()
	r = buildctl(t, dir, frontendArgs("service", "--output", "type=image,name="+ref+",push=true")...)
	if r.code == 0 {
		t.Fatalf("frontend build of a failing gate succeeded:\n%s", tail(r.stderr, 40))
	}
	for _, want := range []string{`gate "tests" failed: `, "exited with code 1 (1 failed, 0 errors, 1 passed); nothing was exported for service",
		`gate "tests" failing tests: tests.test_app::test_app_text`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the error does not say %q:\n%s", want, tail(r.stderr, 30))
		}
	}
	requireNoImage(t, ref)
}

// A `# syntax=IMAGE` first line in stagebuild.yaml makes BuildKit's
// Dockerfile frontend hand the build to the stagebuild frontend, gates
// included.
func TestFrontendSyntaxLine(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "frontend")
	pipe := filepath.Join(dir, "stagebuild.yaml")
	b, err := os.ReadFile(pipe)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, pipe, "# syntax="+env.FrontendImage+"\n"+string(b))
	writeFile(t, filepath.Join(dir, "app.txt"), "hello "+randomID()+"\n")
	args := []string{"build", "--progress", "plain", "--frontend", "dockerfile.v0", "--local", "context=.", "--local", "dockerfile=.",
		"--opt", "filename=stagebuild.yaml"}
	r := buildctl(t, dir, append(args, "--output", "type=oci,dest=ok.tar")...)
	if r.code != 0 {
		t.Fatalf("# syntax= build of a passing gate: exit %d\n%s", r.code, tail(r.stderr, 40))
	}
	if !regexp.MustCompile(`(?m)^#\d+ [0-9.]+ 2 passed$`).MatchString(r.stderr) { // the test's output, not its command
		t.Errorf("the gate's test did not run:\n%s", tail(r.stderr, 30))
	}
	writeFile(t, filepath.Join(dir, "app.txt"), "broken "+randomID()+"\n")
	ref := testenv.RegistryAddr + "/sbtest/frontend-syntax-fail:" + randomID()
	r = buildctl(t, dir, append(args, "--output", "type=image,name="+ref+",push=true")...)
	if r.code == 0 || !strings.Contains(r.stderr, `gate "tests" failing tests: tests.test_app::test_app_text`) {
		t.Errorf("# syntax= build of a failing gate: exit %d, want non-zero naming test_app_text:\n%s", r.code, tail(r.stderr, 30))
	}
	requireNoImage(t, ref)
}

// dockerBuildx runs `docker buildx ARGS` in dir with its own buildx state
// dir (BUILDX_CONFIG), so the builders a test creates are its own.
func dockerBuildx(t *testing.T, dir, buildxConfig string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", append([]string{"buildx"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BUILDX_CONFIG="+buildxConfig, "DOCKER_HOST="+env.DockerHost, "BUILDX_NO_DEFAULT_ATTESTATIONS=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running docker buildx: %v", err)
	}
	t.Logf("docker buildx %s → exit %d", strings.Join(args, " "), r.code)
	return r
}

// docker buildx build -f stagebuild.yaml --build-arg BUILDKIT_SYNTAX=IMAGE,
// through a remote driver on the local daemon's socket: a passing gate
// exports, a failing one fails the build naming the test and writes
// nothing, and --call targets and --call outline list the pipeline's
// stages and gates.
func TestFrontendBuildx(t *testing.T) {
	t.Parallel()
	l, err := daemon.LocalDaemon()
	if err != nil {
		t.Fatal(err)
	}
	dir := copyTestdata(t, "frontend")
	cfg := t.TempDir()
	dockerBuildx(t, dir, cfg, "create", "--name", "sb-remote", "--driver", "remote", l.Addr()).mustSucceed(t)
	build := []string{"build", "--builder", "sb-remote", "--progress", "plain", "-f", "stagebuild.yaml",
		"--build-arg", "BUILDKIT_SYNTAX=" + env.FrontendImage}

	r := dockerBuildx(t, dir, cfg, append(build, "--call", "targets", ".")...).mustSucceed(t)
	for _, want := range []string{"tests             gate, guards service", "service (default) image, gated by tests"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--call targets does not list %q:\n%s", want, r.stdout)
		}
	}
	r = dockerBuildx(t, dir, cfg, append(build, "--call", "outline", "--target", "service", "--build-arg", "GREETING=hi", ".")...).mustSucceed(t)
	for _, want := range []string{"TARGET:      service", "DESCRIPTION: image service, gated by tests", "GREETING    hi"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--call outline does not say %q:\n%s", want, r.stdout)
		}
	}

	writeFile(t, filepath.Join(dir, "app.txt"), "hello "+randomID()+"\n")
	dockerBuildx(t, dir, cfg, append(build, "--target", "service", "--output", "type=oci,dest=ok.tar", ".")...).mustSucceed(t)
	if fi, err := os.Stat(filepath.Join(dir, "ok.tar")); err != nil || fi.Size() == 0 {
		t.Errorf("the passing build wrote no image: %v", err)
	}

	writeFile(t, filepath.Join(dir, "app.txt"), "broken "+randomID()+"\n")
	r = dockerBuildx(t, dir, cfg, append(build, "--target", "service", "--output", "type=oci,dest=fail.tar", ".")...)
	if r.code == 0 || !strings.Contains(r.stderr, `gate "tests" failing tests: tests.test_app::test_app_text`) {
		t.Errorf("buildx build of a failing gate: exit %d, want non-zero naming test_app_text:\n%s", r.code, tail(r.stderr, 30))
	}
	if _, err := os.Stat(filepath.Join(dir, "fail.tar")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the failing build left %s (err %v)", "fail.tar", err)
	}
}

// The client's --secret serves the pipeline's secrets through the
// frontend, to run steps and to a gate's test, and its value is in no
// layer of the image.
func TestFrontendSecrets(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "secrets")
	token := "sb-token-" + randomID() + randomID()
	writeFile(t, filepath.Join(dir, "token.txt"), token)
	args := []string{"build", "--progress", "plain", "--frontend", "gateway.v0", "--opt", "source=" + env.FrontendImage,
		"--local", "context=.", "--local", "dockerfile=.", "--opt", "build-arg:MARKER=" + randomID(),
		"--secret", "id=token,src=token.txt", "--secret", "id=pass,src=pass.txt", "--output", "type=oci,dest=out.tar"}
	writeFile(t, filepath.Join(dir, "pass.txt"), "sb-pass-"+randomID())
	r := buildctl(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("frontend build with secrets: exit %d\n%s", r.code, tail(r.stderr, 30))
	}
	data, err := os.ReadFile(filepath.Join(dir, "out.tar"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for name, blob := range tarEntries(t, data) {
		content := gunzipped(t, blob)
		if bytes.Contains(content, []byte(token)) {
			t.Errorf("the secret's value is in %s of the exported image", name)
		}
		found = found || bytes.Contains(content, []byte(sha256hex(token)))
	}
	if !found {
		t.Errorf("the image has no token.sha256 of the secret (the run step did not read it)")
	}
}

// A gate beside a service (busybox httpd) through the frontend: the
// service starts on the daemon's side and the test reaches it; a test
// that fails against it fails the solve and pushes nothing. The services'
// env (their ports, new each build) is in no cache key, as with
// `stagebuild build`: a second build reuses the test's verdict (its vertex
// is CACHED), a failing one included, which still fails the solve.
func TestFrontendServices(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := "sb-fe-svc-" + randomID()
	yaml := filepath.Join(dir, "stagebuild.yaml")
	writeFile(t, yaml, webPipeline(marker, "", `wget -qO- "$URL" | grep hello`))
	args := frontendArgs("image")
	for i, wantCached := range []bool{false, true} {
		r := buildctl(t, dir, append(args, "--output", "type=oci,dest=ok.tar")...)
		if r.code != 0 {
			t.Fatalf("frontend build %d of a gate with a service: exit %d\n%s", i+1, r.code, tail(r.stderr, 40))
		}
		if cached := testCached(t, r.stderr, "tests"); cached != wantCached {
			t.Errorf("frontend build %d of a passing gate with a service: test cached %v, want %v\n%s", i+1, cached, wantCached, tail(r.stderr, 40))
		}
	}
	writeFile(t, yaml, webPipeline(marker, "", `wget -qO- "$URL" | grep goodbye`))
	for i, wantCached := range []bool{false, true} {
		ref := testenv.RegistryAddr + "/sbtest/frontend-svc-fail:" + randomID()
		r := buildctl(t, dir, append(args, "--output", "type=image,name="+ref+",push=true")...)
		if r.code == 0 || !strings.Contains(r.stderr, `gate "tests" failed: wget -qO- "$URL" | grep goodbye exited with code 1`) {
			t.Errorf("failing build %d of a gate beside a service: exit %d, want non-zero naming the gate:\n%s", i+1, r.code, tail(r.stderr, 30))
		}
		if cached := testCached(t, r.stderr, "tests"); cached != wantCached {
			t.Errorf("failing build %d of a gate with a service: test cached %v, want %v\n%s", i+1, cached, wantCached, tail(r.stderr, 40))
		}
		requireNoImage(t, ref)
	}
	if ps := processes(marker); len(ps) > 0 {
		t.Errorf("the service still runs after the build: %q", ps)
	}
}

// A target built from a gate with services (dev: from: tests) through the
// frontend: the services start before the target's solve, its test reaches
// them, and a second build reuses the test (CACHED).
func TestFrontendServicesTarget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := "sb-fe-svct-" + randomID()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), webPipeline(marker, "",
		`wget -qO- "$URL" | grep hello > /fetched.txt`)+"  dev: {from: tests}\n")
	for i, wantCached := range []bool{false, true} {
		r := buildctl(t, dir, frontendArgs("dev", "--output", "type=local,dest=out")...)
		if r.code != 0 {
			t.Fatalf("frontend build %d of a target built from a gate with a service: exit %d\n%s", i+1, r.code, tail(r.stderr, 40))
		}
		if cached := testCached(t, r.stderr, "tests"); cached != wantCached {
			t.Errorf("frontend build %d of dev: test cached %v, want %v\n%s", i+1, cached, wantCached, tail(r.stderr, 40))
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out", "fetched.txt")); err != nil || string(b) != "hello\n" {
		t.Errorf("dev's /fetched.txt = %q, %v; want what the test fetched from the service", b, err)
	}
	if ps := processes(marker); len(ps) > 0 {
		t.Errorf("the service still runs after the build: %q", ps)
	}
}

// testCached reports whether buildctl's plain progress shows gate's test
// vertex ("[GATE n/n] TEST …") as CACHED; it fails the test when the
// vertex is not there at all.
func testCached(t *testing.T, progress, gate string) bool {
	t.Helper()
	ids := map[string]bool{}
	re := regexp.MustCompile(`(?m)^(#\d+) \[` + regexp.QuoteMeta(gate) + ` \d+/\d+\] TEST `)
	for _, m := range re.FindAllStringSubmatch(progress, -1) {
		ids[m[1]] = true
	}
	if len(ids) == 0 {
		t.Fatalf("no test vertex of %s in the progress:\n%s", gate, tail(progress, 40))
	}
	for id := range ids {
		if strings.Contains(progress, "\n"+id+" CACHED\n") {
			return true
		}
	}
	return false
}

// ca_certs through the frontend: a PEM file of the build context is the
// bundle every step trusts ($SSL_CERT_FILE), in no layer; the host's
// bundle, the client's file, is left out with a warning that says so.
func TestFrontendCACerts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "certs", "ca.pem"), string(throwawayCA(t)))
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
ca_certs: [host, certs/ca.pem]
stages:
  app:
    from: busybox:latest
    run: grep -c "BEGIN CERTIFICATE" "$SSL_CERT_FILE" > /ca-count; echo `+randomID()+`
`)
	// rawjson: buildctl's plain progress prints no warning that arrives
	// after its vertex completed.
	r := buildctl(t, dir, frontendArgs("app", "--progress", "rawjson", "--output", "type=local,dest=out")...)
	if r.code != 0 {
		t.Fatalf("frontend build with ca_certs: exit %d\n%s", r.code, tail(r.stderr, 30))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out", "ca-count")); err != nil || string(b) != "1\n" {
		t.Errorf("the step's $SSL_CERT_FILE holds %q certificates (%v), want the context's one", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "run", "stagebuild", "ca.pem")); err == nil {
		t.Errorf("the CA bundle is in the image")
	}
	want := "ca_certs: host is the client's file, which the stagebuild frontend cannot read, so the steps do not trust it; " +
		"put the PEM file in the build context and name its relative path, or build with `stagebuild build`"
	if ws := rawWarnings(r.stderr); !slices.Contains(ws, want) {
		t.Errorf("warnings %q, want %q", ws, want)
	}
}

// rawWarnings are the warnings in rawjson progress.
func rawWarnings(out string) []string {
	var ws []string
	for _, line := range strings.Split(out, "\n") {
		var ss client.SolveStatus
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &ss) == nil {
			for _, w := range ss.Warnings {
				ws = append(ws, string(w.Short))
			}
		}
	}
	return ws
}
