package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// Vertex-name matchers. Substrings, not exact names, so the harness keeps
// working while stagebuild's (and the Dockerfile frontend's) vertex names
// change. See doc.go for the list and why.
var (
	// nonSteps marks vertices that are not build steps: the frontend's
	// internal loads, metadata and auth look-ups, the context transfer and
	// the exporter. They are neither "executed" nor "cached" steps.
	nonSteps = []string{"[internal]", "[auth]", "[context]", "load metadata for", "load build context",
		"load build definition", "load .dockerignore", "resolve image config", "exporting", "sending tarball"}
	// depsStage matches the deps and test_deps stages in both tools' names:
	// "[deps 2/3] RUN ...", "[deps] FROM ...", "[test_deps 1/2] COPY ...".
	depsStage = regexp.MustCompile(`^\[(deps|test_deps)[\] ]`)
)

const (
	pytestMarker = "pytest"      // the test vertex: TEST/RUN pytest ...
	pipMarker    = "pip install" // pip install vertices, for the cache check
	// ctxMarkers name the context transfer: "[internal] load build context"
	// (Dockerfile frontend), "[context] load build context" or one
	// "[context] <path>" source per copied path (stagebuild).
	ctxMarker = "build context"
	ctxPrefix = "[context]"
	ctxStatus = "transferring context"
	// imageMarker is an image source: "[deps] FROM python:...", "[deps 1/5]
	// FROM docker.io/...". BuildKit marks it cached only sometimes; one whose
	// only status is "resolve <ref>" pulled nothing and counts as cached.
	imageMarker = " FROM "
	// fetchPrefix is a url: copy's HTTP source ("[fetch] https://…").
	// With a checksum BuildKit keys it by the checksum alone, so a warm
	// build only looks its key up (microseconds, no request, no status)
	// and does not mark it cached either; one that completed within
	// fetchLookup fetched nothing and counts as cached.
	fetchPrefix = "[fetch] "
	fetchLookup = 20 * time.Millisecond
)

// vertex is one vertex's merged updates.
type vertex struct {
	name               string
	started, completed *time.Time
	cached             bool
	err                string
	log                bytes.Buffer
	// marks says when each log entry arrived: its offset in log and the
	// entry's rawjson timestamp.
	marks []logMark
	// pulled is set by a layer download or extraction status ("sha256:…",
	// "extracting sha256:…"): an image source without one only resolved
	// its digest and pulled nothing.
	pulled bool
	// merging is set by a "merging" status: a merge op (stagebuild's
	// copies are layers merged onto the stage).
	merging bool
}

// trace is the merged rawjson progress of one invocation.
type trace struct {
	vertexes map[digest.Digest]*vertex
	// ctxBytes holds, per vertex and status ID, the largest byte count a
	// "transferring context:" status reported.
	ctxBytes map[string]int64
	ctxVtx   map[digest.Digest]bool
}

// parseRawJSON reads BuildKit's rawjson progress: one client.SolveStatus
// per line. Lines that are not JSON (stagebuild's own messages) are skipped.
func parseRawJSON(r io.Reader) (*trace, error) {
	t := &trace{vertexes: map[digest.Digest]*vertex{}, ctxBytes: map[string]int64{}, ctxVtx: map[digest.Digest]bool{}}
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if l := bytes.TrimSpace(line); len(l) > 0 && l[0] == '{' {
			var ss client.SolveStatus
			if json.Unmarshal(l, &ss) == nil {
				t.add(&ss)
			}
		}
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return t, err
		}
	}
}

func (t *trace) get(d digest.Digest) *vertex {
	v := t.vertexes[d]
	if v == nil {
		v = &vertex{}
		t.vertexes[d] = v
	}
	return v
}

func (t *trace) add(ss *client.SolveStatus) {
	for _, u := range ss.Vertexes {
		v := t.get(u.Digest)
		if u.Name != "" {
			v.name = u.Name
		}
		if u.Started != nil && (v.started == nil || u.Started.Before(*v.started)) {
			v.started = u.Started
		}
		if u.Completed != nil && (v.completed == nil || u.Completed.After(*v.completed)) {
			v.completed = u.Completed
		}
		v.cached = v.cached || u.Cached
		if u.Error != "" {
			v.err = u.Error
		}
	}
	for _, s := range ss.Statuses {
		if s.Vertex != "" && (strings.HasPrefix(s.ID, "sha256:") || strings.HasPrefix(s.ID, "extracting ")) {
			t.get(s.Vertex).pulled = true
		}
		if s.Vertex != "" && s.ID == "merging" {
			t.get(s.Vertex).merging = true
		}
		if strings.HasPrefix(s.ID, ctxStatus) {
			t.ctxVtx[s.Vertex] = true
			key := s.Vertex.String() + " " + s.ID
			t.ctxBytes[key] = max(t.ctxBytes[key], s.Current)
		}
	}
	for _, l := range ss.Logs {
		v := t.get(l.Vertex)
		v.marks = append(v.marks, logMark{off: v.log.Len(), at: l.Timestamp})
		v.log.Write(l.Data)
	}
}

// logMark is where one log entry starts in a vertex's log, and its time.
type logMark struct {
	off int
	at  time.Time
}

// logTime is the timestamp of the log entry that holds byte off of v's log.
func (v *vertex) logTime(off int) time.Time {
	var at time.Time
	for _, m := range v.marks {
		if m.off > off {
			break
		}
		at = m.at
	}
	return at
}

func (t *trace) isContext(d digest.Digest, v *vertex) bool {
	return strings.Contains(v.name, ctxMarker) || strings.HasPrefix(v.name, ctxPrefix) || t.ctxVtx[d]
}

func (v *vertex) duration() time.Duration {
	if v.started == nil || v.completed == nil {
		return 0
	}
	return v.completed.Sub(*v.started)
}

func isStep(name string) bool {
	for _, m := range nonSteps {
		if strings.Contains(name, m) {
			return false
		}
	}
	return true
}

// stats is what one invocation (or the sum of B2's two) did.
type stats struct {
	Executed, Cached         int
	DepsExecuted, DepsCached int
	Pytest                   time.Duration // the pytest vertex: started → completed
	Ctx                      time.Duration // context-transfer vertices, summed
	CtxBytes                 int64
	PipUsingCached, PipDownl int
	ExecutedNames            []string
}

func (t *trace) stats() stats {
	var s stats
	for d, v := range t.vertexes {
		if t.isContext(d, v) {
			s.Ctx += v.duration()
			continue
		}
		if !isStep(v.name) {
			continue
		}
		cached := v.cached || (strings.Contains(v.name, imageMarker) && !v.pulled && v.err == "") ||
			(strings.HasPrefix(v.name, fetchPrefix) && v.completed != nil && v.duration() < fetchLookup && v.err == "")
		executed := v.completed != nil && !cached
		switch {
		case cached:
			s.Cached++
		case executed:
			s.Executed++
			s.ExecutedNames = append(s.ExecutedNames, v.name)
		}
		if depsStage.MatchString(v.name) {
			if cached {
				s.DepsCached++
			} else if executed {
				s.DepsExecuted++
			}
		}
		if strings.Contains(v.name, pytestMarker) && executed {
			s.Pytest = max(s.Pytest, v.duration())
		}
		if strings.Contains(v.name, pipMarker) && executed {
			log := v.log.String()
			cached, downloaded := installerCounts(log)
			s.PipUsingCached += cached
			s.PipDownl += downloaded
		}
	}
	for _, b := range t.ctxBytes {
		s.CtxBytes += b
	}
	return s
}

// plus merges the stats of B2's second invocation into its first.
func (s stats) plus(o stats) stats {
	s.Executed += o.Executed
	s.Cached += o.Cached
	s.DepsExecuted += o.DepsExecuted
	s.DepsCached += o.DepsCached
	s.Pytest += o.Pytest
	s.Ctx += o.Ctx
	s.CtxBytes += o.CtxBytes
	s.PipUsingCached += o.PipUsingCached
	s.PipDownl += o.PipDownl
	s.ExecutedNames = append(s.ExecutedNames, o.ExecutedNames...)
	return s
}

// uv's summary lines: "Prepared N packages in …" counts what it had to fetch
// (or build), "Installed N packages in …" everything it installed.
var (
	uvPrepared  = regexp.MustCompile(`(?m)^Prepared (\d+) packages? in `)
	uvInstalled = regexp.MustCompile(`(?m)^Installed (\d+) packages? in `)
)

// installerCounts counts the packages an install step took from its cache
// and those it downloaded: pip's "Using cached" and "Downloading" lines, or
// uv's summary (installed − prepared come from the cache).
func installerCounts(log string) (cached, downloaded int) {
	cached, downloaded = strings.Count(log, "Using cached"), strings.Count(log, "Downloading")
	sum := func(re *regexp.Regexp) int {
		n := 0
		for _, m := range re.FindAllStringSubmatch(log, -1) {
			v, _ := strconv.Atoi(m[1])
			n += v
		}
		return n
	}
	prepared, installed := sum(uvPrepared), sum(uvInstalled)
	if installed > 0 || prepared > 0 {
		downloaded += prepared
		cached += max(installed-prepared, 0)
	}
	return cached, downloaded
}
