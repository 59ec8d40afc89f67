package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The kinds of vertex time, for explaining where a tool's time went.
var kindOrder = []string{"pull", "run", "copy", "merge", "export", "context", "other"}

// kinds sums vertex durations by what the vertex did. Vertices that run in
// parallel are all counted, so the sum can exceed the wall time.
//   - export: the exporter ("exporting …", "sending tarball")
//   - context: the context sources (see isContext)
//   - pull: any other vertex that reported layer statuses (downloading or
//     extracting a base image), whatever its name: with merge-based copies
//     the pull shows up under the first merge, not under FROM
//   - merge: a merge op (a "merging" status), e.g. stagebuild's COPY of a
//     layer onto its stage
//   - run: " RUN " and " TEST " steps; copy: "COPY" steps; other: the rest
func (t *trace) kinds() map[string]time.Duration {
	out := map[string]time.Duration{}
	for d, v := range t.vertexes {
		dur := v.duration()
		if dur <= 0 {
			continue
		}
		switch {
		case strings.Contains(v.name, "exporting") || strings.Contains(v.name, "sending tarball"):
			out["export"] += dur
		case t.isContext(d, v):
			out["context"] += dur
		case v.pulled:
			out["pull"] += dur
		case v.merging:
			out["merge"] += dur
		case strings.Contains(v.name, " RUN ") || strings.Contains(v.name, " TEST "):
			out["run"] += dur
		case strings.Contains(v.name, "COPY"):
			out["copy"] += dur
		default:
			out["other"] += dur
		}
	}
	return out
}

func addKinds(a, b map[string]time.Duration) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, m := range []map[string]time.Duration{a, b} {
		for k, v := range m {
			out[k] += v
		}
	}
	return out
}

// kindMedians is the median of each kind over a tool's runs, in seconds.
func (m measured) kindMedians(tool string) map[string]float64 {
	out := map[string]float64{}
	for _, k := range kindOrder {
		out[k] = m.med(tool, func(r result) float64 { return r.Kinds[k].Seconds() })
	}
	return out
}

func (m measured) kindLine(tool string) string {
	med := m.kindMedians(tool)
	var parts []string
	for _, k := range kindOrder {
		parts = append(parts, fmt.Sprintf("%s %.2f s", k, med[k]))
	}
	return strings.Join(parts, ", ")
}

// extraTime says in which kinds S spent more vertex time than other (by
// more than 50 ms, median against median), largest first.
func (m measured) extraTime(other string) string {
	s, o := m.kindMedians(toolS), m.kindMedians(other)
	type diff struct {
		kind string
		d    float64
	}
	var ds []diff
	for _, k := range kindOrder {
		if d := s[k] - o[k]; d > 0.05 {
			ds = append(ds, diff{k, d})
		}
	}
	if len(ds) == 0 {
		return fmt.Sprintf("No kind of vertex took S more than 50 ms longer than %s; the difference is outside the vertices (see start → 1st vertex, last vertex → exit) or noise.", other)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].d > ds[j].d })
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%s +%.2f s", d.kind, d.d))
	}
	return fmt.Sprintf("Vertex time S spent beyond %s (medians): %s.", other, strings.Join(parts, ", "))
}

// vertexTime is one vertex's duration, for "what dominated" notes.
type vertexTime struct {
	Name string
	D    time.Duration
}

// top returns the n longest vertices of the trace, steps or not.
func (t *trace) top(n int) []vertexTime {
	var all []vertexTime
	for _, v := range t.vertexes {
		if d := v.duration(); d > 0 {
			all = append(all, vertexTime{v.name, d})
		}
	}
	return topVertices(all, n)
}

// prefixTime sums the durations of the vertices whose name starts with
// prefix.
func (t *trace) prefixTime(prefix string) time.Duration {
	var sum time.Duration
	for _, v := range t.vertexes {
		if strings.HasPrefix(v.name, prefix) {
			sum += v.duration()
		}
	}
	return sum
}

func topVertices(all []vertexTime, n int) []vertexTime {
	sort.SliceStable(all, func(i, j int) bool { return all[i].D > all[j].D })
	if len(all) > n {
		all = all[:n]
	}
	return all
}

// span is the first vertex start and the last vertex completion.
func (t *trace) span() (first, last time.Time) {
	for _, v := range t.vertexes {
		if v.started != nil && (first.IsZero() || v.started.Before(first)) {
			first = *v.started
		}
		if v.completed != nil && v.completed.After(last) {
			last = *v.completed
		}
	}
	return first, last
}

// frontendStart is, in a build through a gateway frontend image, the time
// BuildKit takes to start it: from the first vertex (resolving the
// frontend's image) to the first vertex the frontend itself asks for, once
// its container runs. Zero when no vertex names the frontend image.
func (t *trace) frontendStart(image string) time.Duration {
	var first, ready time.Time
	for _, v := range t.vertexes {
		if v.started == nil || !strings.Contains(v.name, image) {
			continue
		}
		if first.IsZero() || v.started.Before(first) {
			first = *v.started
		}
		if v.completed != nil && v.completed.After(ready) {
			ready = *v.completed
		}
	}
	if first.IsZero() || ready.IsZero() {
		return 0
	}
	var next time.Time
	for _, v := range t.vertexes {
		if v.started != nil && !strings.Contains(v.name, image) && !v.started.Before(ready) && (next.IsZero() || v.started.Before(next)) {
			next = *v.started
		}
	}
	if next.IsZero() {
		return 0
	}
	return next.Sub(first)
}
