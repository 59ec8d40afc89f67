package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

func TestTraceStats(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) *time.Time { x := t0.Add(time.Duration(ms) * time.Millisecond); return &x }
	d := func(s string) digest.Digest { return digest.FromString(s) }
	updates := []client.SolveStatus{
		{Vertexes: []*client.Vertex{
			{Digest: d("from"), Name: "[deps] FROM python:3.11-slim-bookworm", Started: at(0), Completed: at(10)},
			{Digest: d("ctx"), Name: "[context] app", Started: at(0), Completed: at(40)},
			{Digest: d("meta"), Name: "[internal] load metadata for docker.io/library/python", Started: at(0), Completed: at(5)},
			{Digest: d("pip"), Name: "[deps 3/3] RUN pip install -r requirements.txt", Started: at(10)},
			{Digest: d("copy"), Name: "[builder 1/1] COPY app app", Started: at(10), Completed: at(10), Cached: true},
			{Digest: d("lookup"), Name: "[fetch] https://example.com/a.whl", Started: at(0), Completed: at(0)},
			{Digest: d("get"), Name: "[fetch] https://example.com/b.whl", Started: at(0), Completed: at(250)},
		}},
		{
			Vertexes: []*client.Vertex{{Digest: d("pip"), Name: "[deps 3/3] RUN pip install -r requirements.txt", Started: at(10), Completed: at(900)}},
			Statuses: []*client.VertexStatus{
				{ID: "transferring context:", Vertex: d("ctx"), Current: 100},
				{ID: "transferring context:", Vertex: d("ctx"), Current: 250},
				{ID: "resolve docker.io/library/python:3.11", Vertex: d("from")},
			},
			Logs: []*client.VertexLog{{Vertex: d("pip"), Data: []byte("Using cached flask.whl\nDownloading six.whl\n")}},
		},
		{Vertexes: []*client.Vertex{{Digest: d("test"), Name: "[tests 1/1] TEST pytest -q tests", Started: at(1000), Completed: at(1500)}}},
	}
	var b strings.Builder
	b.WriteString("stagebuild: a message that is not JSON\n")
	for _, u := range updates {
		line, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	tr, err := parseRawJSON(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	s := tr.stats()
	// Executed: pip, pytest and the fetch that took 250 ms. Cached: the
	// copy, FROM, which only resolved its digest, and the fetch that only
	// looked its checksum up. Not steps: the context and the metadata load.
	if s.Executed != 3 || s.Cached != 3 {
		t.Errorf("executed/cached = %d/%d (%q), want 3/3", s.Executed, s.Cached, s.ExecutedNames)
	}
	if s.DepsExecuted != 1 || s.DepsCached != 1 {
		t.Errorf("deps executed/cached = %d/%d, want 1/1", s.DepsExecuted, s.DepsCached)
	}
	if s.Pytest != 500*time.Millisecond || s.Ctx != 40*time.Millisecond || s.CtxBytes != 250 {
		t.Errorf("pytest %s, context %s, bytes %d", s.Pytest, s.Ctx, s.CtxBytes)
	}
	if s.PipUsingCached != 1 || s.PipDownl != 1 {
		t.Errorf("pip cached/downloading = %d/%d", s.PipUsingCached, s.PipDownl)
	}
	if k := tr.kinds(); k["run"] != 1390*time.Millisecond || k["context"] != 40*time.Millisecond {
		t.Errorf("kinds %v", k)
	}
}

// F's start runs from resolving the frontend image to the first vertex the
// frontend asks for.
func TestFrontendStart(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) *time.Time { x := t0.Add(time.Duration(ms) * time.Millisecond); return &x }
	d := func(s string) digest.Digest { return digest.FromString(s) }
	const img = "127.0.0.1:5100/stagebuild/frontend:abc"
	tr := &trace{vertexes: map[digest.Digest]*vertex{}, ctxBytes: map[string]int64{}, ctxVtx: map[digest.Digest]bool{}}
	tr.add(&client.SolveStatus{Vertexes: []*client.Vertex{
		{Digest: d("resolve"), Name: "resolve image config for docker-image://" + img, Started: at(0), Completed: at(24)},
		{Digest: d("image"), Name: "docker-image://" + img + "@sha256:f8c6", Started: at(58), Completed: at(58), Cached: true},
		{Digest: d("def"), Name: "[internal] load build definition from stagebuild.yaml", Started: at(414), Completed: at(434)},
		{Digest: d("ctx"), Name: "[context] app", Started: at(505), Completed: at(530)},
	}})
	if got := tr.frontendStart(img); got != 414*time.Millisecond {
		t.Errorf("frontendStart = %v, want 414ms", got)
	}
	if got := tr.frontendStart("other/image"); got != 0 {
		t.Errorf("frontendStart of an image not in the trace = %v, want 0", got)
	}
}

// uv's summary lines count as downloads (prepared) and cache hits
// (installed − prepared); pip's lines still count as before.
func TestInstallerCounts(t *testing.T) {
	for _, c := range []struct {
		log                string
		cached, downloaded int
	}{
		{"Resolved 7 packages in 302ms\nPrepared 7 packages in 59ms\nInstalled 7 packages in 5ms\n + blinker==1.9.0\n", 0, 7},
		{"Resolved 8 packages in 299ms\nPrepared 1 package in 20ms\nInstalled 8 packages in 7ms\n", 7, 1},
		{"Resolved 7 packages in 299ms\nInstalled 7 packages in 7ms\n", 7, 0},
		{"Using cached flask.whl\nUsing cached click.whl\nDownloading six.whl\n", 2, 1},
		{"Audited 3 packages in 1ms\n", 0, 0},
	} {
		if cached, downloaded := installerCounts(c.log); cached != c.cached || downloaded != c.downloaded {
			t.Errorf("installerCounts(%q) = %d cached, %d downloaded; want %d, %d", c.log, cached, downloaded, c.cached, c.downloaded)
		}
	}
}

// A miss says whether S was slower or faster than the other tool.
func TestThan(t *testing.T) {
	if got := than(21.42, 28.05, "B1"); got != "6.63 s less than B1" {
		t.Errorf("than(21.42, 28.05) = %q", got)
	}
	if got := than(3, 2.5, "B1"); got != "0.50 s more than B1" {
		t.Errorf("than(3, 2.5) = %q", got)
	}
}

// The LLB benchmark's figure is each benchmark's median run, with that
// run's other figures.
func TestParseGoBench(t *testing.T) {
	out := `goos: linux
BenchmarkGenerate500-2   	20	  61000000 ns/op	  1 cpu-ns/op	  100 B/op
BenchmarkGenerate500-2   	20	  45000000 ns/op	  2 cpu-ns/op	  200 B/op
BenchmarkGenerate500AccumulatingEnv-2 	20	  99000000 ns/op	  9 cpu-ns/op
BenchmarkGenerate500-2   	20	  47000000 ns/op	  3 cpu-ns/op	  300 B/op
PASS`
	res, err := parseGoBench(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Name != "BenchmarkGenerate500-2" || res[1].Name != "BenchmarkGenerate500AccumulatingEnv-2" {
		t.Fatalf("results %+v", res)
	}
	if g := res[0]; g.NsPerOp != 47e6 || g.Extra != "3 cpu-ns/op 300 B/op" || len(g.Runs) != 3 || g.Runs[0] != 61e6 {
		t.Errorf("Generate500: %+v, want the median run 47 ms with its own figures", g)
	}
	if _, err := parseGoBench("FAIL"); err == nil {
		t.Error("no benchmark lines: want an error")
	}
}
