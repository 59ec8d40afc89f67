package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse: no pipeline text panics the parser, and every error it gives
// is one line that starts with the file name; nor does any make it hang
// (make fuzz).
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("stages:\n  a: {from: b}\n  b: {from: a}\n"))
	f.Add([]byte("args: {X: \"1\"}\nstages:\n  app: {from: \"busybox:${X}\", test: [\"true\"], gated_by: [app]}\n"))
	f.Add([]byte("services:\n  db: {image: busybox:latest, ports: {pg: 5432}, readiness: {tcp: pg}}\nstages:\n  t: {from: busybox:latest, test: \"true\", services: [db], env: {A: \"${services.db.port}\"}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var (
			p   *Pipeline
			err error
		)
		done := make(chan struct{})
		go func() { defer close(done); p, err = Parse("p.yaml", data, map[string]string{"X": "2"}) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			panic(fmt.Sprintf("Parse did not return within 5s on %q", data))
		}
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "p.yaml") {
				t.Errorf("error is not one line naming the file: %q", msg)
			}
			return
		}
		for _, s := range p.Stages {
			_ = p.Stage(s.FromStage)
		}
	})
}
