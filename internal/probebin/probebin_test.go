package probebin

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite SOURCES.sha256 (make probe does, after building the program)")

// sourcesHash hashes the program's sources (tests left out).
func sourcesHash(t *testing.T) string {
	var files []string
	for _, dir := range []string{"../../cmd/stagebuild-probe", "../probe"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, "_test.go") {
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(filepath.ToSlash(f) + "\n"))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// The committed program was built from the committed sources.
func TestProbeUpToDate(t *testing.T) {
	got := sourcesHash(t)
	if *update {
		if err := os.WriteFile("SOURCES.sha256", []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("SOURCES.sha256")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(want)) != got {
		t.Fatalf("internal/probebin/stagebuild-probe is older than its sources (cmd/stagebuild-probe, internal/probe): run make probe and commit the program")
	}
	if len(program) < 1<<20 || string(program[1:4]) != "ELF" {
		t.Fatalf("the embedded program is %d bytes and no ELF file", len(program))
	}
}
