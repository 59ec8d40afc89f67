package build

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stagebuild/stagebuild/report"
)

func readJSONFile(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return m
}

var metaGates = []*GateResult{
	{Gate: "tests", Passed: true, Duration: 1500 * time.Millisecond, ReportsDir: "r/tests",
		Summary: &report.Summary{Passed: 8, Skipped: 1}},
	{Gate: "lint", Passed: false, ExitCode: 1, Duration: time.Second, Summary: &report.Summary{Failed: 2, Errors: 1}},
	{Gate: "typing", Passed: false, Advisory: true, ExitCode: 2},
}

// One target: a flat object, as buildx build writes it, with BuildKit's
// exporter response and the target's own gates, in its order.
func TestWriteMetadataOneTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.json")
	res := &Result{Gates: metaGates, Targets: []TargetResult{{
		Stage: "service", Gates: []string{"tests", "typing"}, Exported: []string{"/out/svc.tar"},
		Response: map[string]string{"containerimage.digest": "sha256:aaa", "containerimage.config.digest": "sha256:bbb"},
	}}}
	if err := WriteMetadata(path, res); err != nil {
		t.Fatal(err)
	}
	m := readJSONFile(t, path)
	if m["containerimage.digest"] != "sha256:aaa" || m["containerimage.config.digest"] != "sha256:bbb" {
		t.Errorf("exporter response not copied: %v", m)
	}
	if m["stagebuild.target"] != "service" || m["stagebuild.exported"] != true {
		t.Errorf("target %v, exported %v", m["stagebuild.target"], m["stagebuild.exported"])
	}
	gates, _ := m["stagebuild.gates"].([]any)
	want := []any{
		map[string]any{"gate": "tests", "status": "passed", "exit_code": 0.0, "seconds": 1.5, "reports_dir": "r/tests",
			"tests_passed": 8.0, "tests_failed": 0.0, "tests_errors": 0.0, "tests_skipped": 1.0},
		map[string]any{"gate": "typing", "status": "advisory-failed", "exit_code": 2.0, "seconds": 0.0,
			"tests_passed": 0.0, "tests_failed": 0.0, "tests_errors": 0.0, "tests_skipped": 0.0},
	}
	if !reflect.DeepEqual(gates, want) {
		t.Errorf("stagebuild.gates =\n%v\nwant\n%v", gates, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left beside the metadata file: %v", entries)
	}
}

// Several targets: keyed by target, as buildx bake writes it; a blocked
// target has its failed gate and no digest.
func TestWriteMetadataSeveralTargets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.json")
	if err := os.WriteFile(path, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := &Result{Gates: metaGates, Targets: []TargetResult{
		{Stage: "service", Gates: []string{"tests", "lint"}},
		{Stage: "localdev", Exported: []string{"app:dev (loaded into docker)"},
			Response: map[string]string{"containerimage.digest": "sha256:ccc", "image.name": "app:dev"}},
	}}
	if err := WriteMetadata(path, res); err != nil {
		t.Fatal(err)
	}
	m := readJSONFile(t, path)
	svc, _ := m["service"].(map[string]any)
	dev, _ := m["localdev"].(map[string]any)
	if svc == nil || dev == nil || len(m) != 2 {
		t.Fatalf("want service and localdev keys, got %v", m)
	}
	if _, ok := svc["containerimage.digest"]; ok || svc["stagebuild.exported"] != false {
		t.Errorf("blocked service: %v", svc)
	}
	gates, _ := svc["stagebuild.gates"].([]any)
	if len(gates) != 2 || gates[1].(map[string]any)["status"] != "failed" || gates[1].(map[string]any)["tests_failed"] != 2.0 {
		t.Errorf("service gates: %v", gates)
	}
	if dev["containerimage.digest"] != "sha256:ccc" || dev["image.name"] != "app:dev" || dev["stagebuild.exported"] != true {
		t.Errorf("localdev: %v", dev)
	}
	if g, ok := dev["stagebuild.gates"].([]any); !ok || len(g) != 0 {
		t.Errorf("localdev has no gates, want [], got %v", dev["stagebuild.gates"])
	}
}

// No result (the build never started): no file; an unwritable directory:
// an error.
func TestWriteMetadataNoResult(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.json")
	if err := WriteMetadata(path, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("metadata written without a result: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "meta.json")
	if err := WriteMetadata(bad, &Result{Targets: []TargetResult{{Stage: "service"}}}); err == nil {
		t.Errorf("writing into a missing directory succeeded")
	}
}
