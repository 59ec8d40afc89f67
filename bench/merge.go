package main

import (
	"fmt"
	"os"
	"strings"
)

// The sections a -merge can move from one report into another: the
// scenarios with a section of their own, and lock, the whole report of a
// -pipeline lock run. The S/B1/B2 scenarios of the requirements shape share
// the Results table and the Method and Machine notes, so they cannot be
// moved alone.
var mergeable = map[string]string{
	"services": "## Services",
	"llbgen":   "## LLB generation",
	"lock":     lockHeading,
}

const mergeableNames = "services, llbgen, lock"

// mergedNote marks a section that came from another run than the file.
const mergedNote = "_Merged from a separate run with `-merge` (its run is named below); the other sections of this file " +
	"come from the run named at the top and were not rerun._"

// mergeReport copies the sections of names from the report in from into
// the report in into, each replacing its old section or, when into has none,
// inserted before "## Details". Nothing else in into changes.
func mergeReport(from, into string, names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("-merge: name the sections to merge with -scenarios (one of: " + mergeableNames + ")")
	}
	src, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	dst, err := os.ReadFile(into)
	if err != nil {
		return err
	}
	doc := string(dst)
	for _, n := range names {
		heading, ok := mergeable[n]
		if !ok {
			return fmt.Errorf("-merge: scenario %q has no section of its own (mergeable: %s)", n, mergeableNames)
		}
		sec, ok := section(string(src), heading)
		if !ok {
			return fmt.Errorf("-merge: %s has no %q section", from, heading)
		}
		if !strings.Contains(sec, mergedNote) {
			head, body, _ := strings.Cut(sec, "\n")
			sec = head + "\n\n" + mergedNote + "\n" + body
		}
		doc = replaceSection(doc, heading, sec)
	}
	if err := os.WriteFile(into, []byte(doc), 0o644); err != nil {
		return err
	}
	logf("merged the %s section(s) of %s into %s", strings.Join(names, ", "), from, into)
	return nil
}

// sectionSpan is where the section whose heading line starts with heading
// begins and ends (at the next "## " heading, or the end) in doc.
func sectionSpan(doc, heading string) (start, end int, ok bool) {
	lines := strings.SplitAfter(doc, "\n")
	off := 0
	start = -1
	for _, l := range lines {
		switch {
		case start < 0 && strings.HasPrefix(l, heading):
			start = off
		case start >= 0 && strings.HasPrefix(l, "## "):
			return start, off, true
		}
		off += len(l)
	}
	return start, len(doc), start >= 0
}

func section(doc, heading string) (string, bool) {
	start, end, ok := sectionSpan(doc, heading)
	if !ok {
		return "", false
	}
	return strings.TrimRight(doc[start:end], "\n") + "\n", true
}

// replaceSection puts sec in place of doc's section under heading, or
// before its Details (else at its end) when it has none.
func replaceSection(doc, heading, sec string) string {
	if start, end, ok := sectionSpan(doc, heading); ok {
		tail := doc[end:]
		if tail != "" {
			sec += "\n"
		}
		return doc[:start] + sec + tail
	}
	if start, _, ok := sectionSpan(doc, "## Details"); ok {
		return doc[:start] + sec + "\n" + doc[start:]
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + sec
}
