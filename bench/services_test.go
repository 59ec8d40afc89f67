package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

func TestServiceTimes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ptr := func(ms int) *time.Time { x := at(ms); return &x }
	d := func(s string) digest.Digest { return digest.FromString(s) }
	svc := "[service db for external] /bin/sh -c initdb … (pg=127.0.0.1:40123)"
	test := "[integrated 1/1] TEST pytest -q tests/integrated"
	updates := []client.SolveStatus{
		{Vertexes: []*client.Vertex{
			{Digest: d("svc"), Name: "[service db for external] start", Started: ptr(0)},
			{Digest: d("api"), Name: "[service api for external] start", Started: ptr(0)},
			{Digest: d("ext"), Name: "[external 1/1] TEST pytest -q tests/external", Started: ptr(500), Completed: ptr(4000)},
			{Digest: d("test"), Name: test, Started: ptr(800)},
		}},
		{
			Vertexes: []*client.Vertex{{Digest: d("svc"), Name: svc, Started: ptr(0)}},
			Logs: []*client.VertexLog{
				// Postgres's own stamp (2100 ms) is earlier than the entry's.
				{Vertex: d("svc"), Timestamp: at(2150), Data: []byte("2026-01-01 12:00:02.000 UTC [1] LOG:  starting PostgreSQL 15\n")},
				{Vertex: d("svc"), Timestamp: at(2300), Data: []byte("2026-01-01 12:00:02.250 UTC [1] LOG:  database system is ready to accept connections\n")},
			},
		},
		{Vertexes: []*client.Vertex{{Digest: d("svc"), Name: svc, Started: ptr(0), Completed: ptr(2400)}}},
		{Logs: []*client.VertexLog{{Vertex: d("test"), Timestamp: at(3000), Data: []byte("....   [100%]\n4 passed in 0.79s\n")}}},
		{Vertexes: []*client.Vertex{{Digest: d("test"), Name: test, Started: ptr(800), Completed: ptr(3500)}}},
	}
	var b strings.Builder
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
	sr, err := tr.serviceTimes()
	if err != nil {
		t.Fatal(err)
	}
	ms := func(x time.Duration) int { return int(x.Milliseconds()) }
	if ms(sr.Pytest) != 790 || ms(sr.startToReady()) != 2400 || ms(sr.readyAfterPG()) != 150 || !sr.PGStamp {
		t.Errorf("pytest %s, start→ready %s, after Postgres %s (its stamp: %v)", sr.Pytest, sr.startToReady(), sr.readyAfterPG(), sr.PGStamp)
	}
	// From the service's start (0) to the test's end (3500), minus pytest.
	if ms(sr.gateOverhead()) != 2710 || ms(sr.testOverhead()) != 1910 || ms(pgBoot(sr)) != 2000 {
		t.Errorf("gate overhead %s, test overhead %s, boot %s", sr.gateOverhead(), sr.testOverhead(), pgBoot(sr))
	}
}

func TestLineTimeWithoutStamp(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	v := &vertex{}
	for i, l := range []string{"initdb: done\n", "LOG:  database system is ready to accept connections\n"} {
		v.marks = append(v.marks, logMark{off: v.log.Len(), at: t0.Add(time.Duration(i) * time.Second)})
		v.log.WriteString(l)
	}
	got, pg := lineTime(v, strings.Index(v.log.String(), pgReadyMsg))
	if pg || !got.Equal(t0.Add(time.Second)) {
		t.Errorf("lineTime = %s (Postgres's: %v), want the second entry's", got, pg)
	}
}

func TestPytestTime(t *testing.T) {
	for out, want := range map[string]time.Duration{
		"..\n4 passed in 0.79s\n":                               790 * time.Millisecond,
		"=== 3 passed, 1 warning in 1.50s ===":                  1500 * time.Millisecond,
		"1 passed in 0.1s\nlater: 2 passed in 61.20s (0:01:01)": 61200 * time.Millisecond,
	} {
		if got, ok := pytestTime([]byte(out)); !ok || got != want {
			t.Errorf("pytestTime(%q) = %s, %v; want %s", out, got, ok, want)
		}
	}
	if _, ok := pytestTime([]byte("1 failed in 0.2s")); ok {
		t.Error("a run with no passed test has no time")
	}
}

func TestMergeReport(t *testing.T) {
	dir := t.TempDir()
	from, into := filepath.Join(dir, "from.md"), filepath.Join(dir, "into.md")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(from, "# Benchmarks\n\n## Results\n\nnew results\n\n## Services\n\nnew services\n\n## Details\n\nnew\n")
	write(into, "# Benchmarks\n\n## Results\n\nold results\n\n## LLB generation\n\nold llb\n\n## Details\n\nold details\n")
	if err := mergeReport(from, into, []string{"services"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(into)
	want := "# Benchmarks\n\n## Results\n\nold results\n\n## LLB generation\n\nold llb\n\n## Services\n\n" + mergedNote +
		"\n\nnew services\n\n## Details\n\nold details\n"
	if string(b) != want {
		t.Errorf("inserted:\n%s\nwant:\n%s", b, want)
	}
	// Merging again replaces the section, and adds the note once.
	if err := mergeReport(from, into, []string{"services"}); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(into); string(b2) != want {
		t.Errorf("replaced:\n%s\nwant:\n%s", b2, want)
	}
	if err := mergeReport(from, into, []string{"noop"}); err == nil {
		t.Error("merging a scenario without a section of its own should fail")
	}
}

func TestServicesSection(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	sv := &svcResult{Started: t0, Host: hostInfo{Initdb: time.Second}}
	for _, end := range []int{2500, 3000, 3500} {
		sv.S = append(sv.S, svcRun{Wall: 4 * time.Second, Pytest: 200 * time.Millisecond, SvcStart: at(0), PGFirst: at(1200),
			PGReady: at(1300), SvcReady: at(1350), TestStart: at(100), TestEnd: at(end)})
		sv.H = append(sv.H, hostRun{Wall: 700 * time.Millisecond, Pytest: 200 * time.Millisecond})
	}
	var b strings.Builder
	rep := &report{services: sv, args: "-scenarios services"}
	rep.servicesSection(func(f string, a ...any) { b.WriteString(fmt.Sprintf(f, a...)) })
	out := b.String()
	for _, want := range []string{
		"| service ready − Postgres's \"ready to accept connections\" | 0.05 s | 0.05, 0.05, 0.05 | — | — | ≤ 0.30 s | yes |",
		"− pytest (H: wall − pytest) | 2.80 s | 2.30, 2.80, 3.30 | 0.50 s | 0.50, 0.50, 0.50 | ≤ 2.00 s | **no** |",
		"3 of 3 runs missed the per-gate overhead target (≤ 2.00 s): run 1 (2.30 s), run 2 (2.80 s), run 3 (3.30 s).",
		"largest first: 1.45 s service ready → test end, − pytest; 1.20 s service start → Postgres's first log line; ",
		"H pays none of the service's start-up (1.20 s from its start",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("section lacks %q:\n%s", want, out)
		}
	}
}
