package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	contentproxy "github.com/containerd/containerd/v2/core/content/proxy"
	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/daemon"
	"github.com/stagebuild/stagebuild/state"
)

// The password of HTTPS_PROXY=http://user:PASSWORD@host reaches the steps
// and the test, and lands nowhere else (issue 13, item 6): not in the
// daemon's build history (its provenance holds every op of the build, its
// logs and trace), not in --metadata-file, the record `plan` reads, the
// reports, the image, stagebuild's output or the daemon's log.
func TestProxyPasswordNowhere(t *testing.T) {
	t.Parallel()
	secret := "pw" + randomID() + randomID()
	// A marker in the run step's own command: the history must show it, or
	// the grep below reads blobs that do not hold the build's ops.
	marker := "op-marker-" + randomID()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stagebuild.yaml"), `version: 1
default: app
stages:
  tests:
    from: busybox:latest
    reports: /reports
    test: >-
      test "$https_proxy" = "$HTTPS_PROXY" &&
      case "$HTTPS_PROXY" in http://user:*@127.0.0.1:3128) echo '<testsuite><testcase name="proxy"/></testsuite>' > /reports/junit.xml;; *) exit 7;; esac
  app:
    from: busybox:latest
    run: 'case "$HTTPS_PROXY" in http://user:*@127.0.0.1:3128) echo `+marker+` > /proxy-ok;; *) exit 7;; esac'
    gated_by: [tests]
`)
	start := time.Now()
	r := stagebuildEnv(t, dir, []string{"HTTPS_PROXY=http://user:" + secret + "@127.0.0.1:3128", "NO_PROXY="},
		"build", "--progress", "rawjson", "--metadata-file", "md.json", "-o", "type=oci,dest=app.tar").mustSucceed(t)

	leaks := map[string][]byte{"stdout": []byte(r.stdout), "stderr (rawjson progress)": []byte(r.stderr)}
	add := func(root string) {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if b, err := os.ReadFile(p); err == nil {
					leaks[p] = b
				}
			}
			return nil
		})
	}
	add(dir) // md.json, app.tar, stagebuild-reports/
	sd, err := state.Dir()
	if err != nil {
		t.Fatal(err)
	}
	add(filepath.Join(sd, "records"))
	add(filepath.Join(sd, "buildkitd", "buildkitd.log"))
	for _, want := range []string{"md.json", "app.tar", filepath.Join("stagebuild-reports", "tests", "junit.xml")} {
		if _, ok := leaks[filepath.Join(dir, want)]; !ok {
			t.Errorf("%s was not written", want)
		}
	}
	n := historyBlobs(t, start, leaks)
	if n == 0 {
		t.Fatal("no build history record since the build started")
	}
	opsSeen := false
	for where, b := range leaks {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("the proxy password is in %s", where)
		}
		opsSeen = opsSeen || (strings.HasPrefix(where, "history ") && bytes.Contains(b, []byte(marker)))
	}
	if !opsSeen {
		t.Error("no history blob holds the build's ops (the run step's marker): the grep proves nothing")
	}
	t.Logf("grepped %d files, streams and history blobs (%d history records)", len(leaks), n)
}

// historyBlobs adds every history record of the local daemon created since
// start, and the blobs it names (provenance, logs, trace), to into.
func historyBlobs(t *testing.T, start time.Time, into map[string][]byte) int {
	t.Helper()
	l, err := daemon.LocalDaemon()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, err := client.New(ctx, l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stream, err := c.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{EarlyExit: true})
	if err != nil {
		t.Fatal(err)
	}
	store := contentproxy.NewContentStore(c.ContentClient())
	n := 0
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rec := ev.Record
		if rec == nil || rec.CreatedAt == nil || rec.CreatedAt.AsTime().Before(start.Add(-time.Second)) {
			continue
		}
		n++
		js, _ := json.Marshal(rec)
		into["history record "+rec.Ref] = js
		descs := []*controlapi.Descriptor{rec.Logs, rec.Trace}
		if rec.Result != nil {
			descs = append(descs, rec.Result.Attestations...)
			descs = append(descs, rec.Result.ResultDeprecated)
		}
		for _, res := range rec.Results {
			descs = append(descs, res.Attestations...)
		}
		for _, d := range descs {
			if d == nil || d.Digest == "" {
				continue
			}
			b, err := content.ReadBlob(ctx, store, ocispecs.Descriptor{Digest: digest.Digest(d.Digest), Size: d.Size, MediaType: d.MediaType})
			if err != nil {
				t.Errorf("reading %s of record %s: %v", d.Digest, rec.Ref, err)
				continue
			}
			into["history "+rec.Ref+" "+d.MediaType] = b
			if strings.Contains(d.MediaType, "in-toto") && !bytes.Contains(b, []byte("buildConfig")) {
				t.Logf("record %s: provenance without buildConfig", rec.Ref)
			}
		}
	}
	return n
}
