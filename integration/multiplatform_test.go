package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/testenv"
)

// --platform linux/amd64,linux/arm64 (arm64 under QEMU): the OCI output is
// an index with both platforms, each image's run-step layer holding its own
// `uname -m`; the frontend with the same platforms and SOURCE_DATE_EPOCH
// gives the same index digest; a gate failing on arm64 only exits 3, names
// the platform and writes nothing.
func TestMultiPlatform(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "multiplatform")
	writeFile(t, filepath.Join(dir, "app.txt"), "hello "+randomID()+"\n")
	const epoch = "1700000000"
	const plats = "linux/amd64,linux/arm64"
	stagebuildEnv(t, dir, []string{"SOURCE_DATE_EPOCH=" + epoch}, "build", "--progress", "plain", "--platform", plats,
		"--metadata-file", "cli.json", "-o", "type=oci,dest=cli.tar").mustSucceed(t)
	got, err := testenv.ReadOCIPlatformFile(filepath.Join(dir, "cli.tar"), "/app/machine.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"linux/amd64": "x86_64\n", "linux/arm64": "aarch64\n"}; !reflect.DeepEqual(got, want) {
		t.Errorf("uname -m per platform = %q, want %q", got, want)
	}

	r := buildctl(t, dir, frontendArgs("service", "--opt", "platform="+plats, "--opt", "build-arg:SOURCE_DATE_EPOCH="+epoch,
		"--metadata-file", "fe.json", "--output", "type=oci,dest=fe.tar,rewrite-timestamp=true")...)
	if r.code != 0 {
		t.Fatalf("frontend build for %s: exit %d\n%s", plats, r.code, tail(r.stderr, 40))
	}
	if cli, fe := imageDigest(t, filepath.Join(dir, "cli.json")), imageDigest(t, filepath.Join(dir, "fe.json")); cli != fe {
		t.Errorf("same pipeline, platforms and SOURCE_DATE_EPOCH: stagebuild build gave index %s, the frontend %s", cli, fe)
	}

	// After an edit, the index's tar written from cli.tar's own blobs
	// (build/reuse.go) is the one the daemon sends to a new file.
	writeFile(t, filepath.Join(dir, "app.txt"), "hello again "+randomID()+"\n")
	r = stagebuildEnv(t, dir, []string{"SOURCE_DATE_EPOCH=" + epoch}, "build", "--progress", "plain", "--platform", plats,
		"-o", "type=oci,dest=cli.tar").mustSucceed(t)
	if strings.Contains(r.stderr, "sending tarball") {
		t.Errorf("the rebuild into cli.tar had the whole tarball sent:\n%s", tail(r.stderr, 20))
	}
	stagebuildEnv(t, dir, []string{"SOURCE_DATE_EPOCH=" + epoch}, "build", "--progress", "plain", "--platform", plats,
		"-o", "type=oci,dest=fresh.tar").mustSucceed(t)
	if !bytes.Equal(readFile(t, filepath.Join(dir, "cli.tar")), readFile(t, filepath.Join(dir, "fresh.tar"))) {
		t.Errorf("the multi-platform tar written from cli.tar's blobs differs from the daemon's")
	}

	// A failing gate writes nothing, over a tar it would reuse or to a new
	// file, and leaves no temporary file or store behind.
	before := stampOf(t, filepath.Join(dir, "cli.tar"))
	writeFile(t, filepath.Join(dir, "app.txt"), "hello once more "+randomID()+"\n")
	if r = stagebuild(t, dir, "build", "--progress", "plain", "--platform", plats, "--build-arg", "FAIL_ON=aarch64",
		"-o", "type=oci,dest=cli.tar"); r.code != 3 {
		t.Fatalf("a gate failing on arm64 over cli.tar: exit %d, want 3\n%s", r.code, tail(r.stderr, 40))
	}
	if got := stampOf(t, filepath.Join(dir, "cli.tar")); got != before {
		t.Errorf("the failed build changed cli.tar: %+v, was %+v", got, before)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".cli.tar.stagebuild-*")); len(left) > 0 {
		t.Errorf("the failed build left %q", left)
	}

	r = stagebuild(t, dir, "build", "--progress", "plain", "--platform", plats, "--build-arg", "FAIL_ON=aarch64",
		"-o", "type=oci,dest=fail.tar")
	if r.code != 3 {
		t.Fatalf("a gate failing on arm64: exit %d, want 3\n%s", r.code, tail(r.stderr, 40))
	}
	want := `gate "tests" failed on linux/arm64: `
	if !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, `failed on linux/amd64`) {
		t.Errorf("stderr does not say %q (and only that):\n%s", want, tail(r.stderr, 30))
	}
	if _, err := os.Stat(filepath.Join(dir, "fail.tar")); err == nil {
		t.Errorf("fail.tar was written although the arm64 gate failed")
	}

	r = buildctl(t, dir, frontendArgs("service", "--opt", "platform="+plats, "--opt", "build-arg:FAIL_ON=aarch64",
		"--output", "type=oci,dest=fefail.tar")...)
	if want := `platform linux/arm64: gate "tests" failed: `; r.code == 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("frontend, gate failing on arm64: exit %d, want an error saying %q:\n%s", r.code, want, tail(r.stderr, 30))
	}
	// buildctl creates its output file before the solve: it stays empty.
	if fi, err := os.Stat(filepath.Join(dir, "fefail.tar")); err == nil && fi.Size() > 0 {
		t.Errorf("the frontend wrote %d bytes to fefail.tar although the arm64 gate failed", fi.Size())
	}
}
