package build

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// GateMetadata is one gate's verdict in the metadata file.
type GateMetadata struct {
	Gate       string  `json:"gate"`
	Status     string  `json:"status"` // passed, failed, advisory-failed
	ExitCode   int     `json:"exit_code"`
	Seconds    float64 `json:"seconds"`
	ReportsDir string  `json:"reports_dir,omitempty"`
	Passed     int     `json:"tests_passed"`
	Failed     int     `json:"tests_failed"`
	Errors     int     `json:"tests_errors"`
	Skipped    int     `json:"tests_skipped"`
}

// WriteMetadata writes --metadata-file: per target, BuildKit's exporter
// response (containerimage.digest, containerimage.config.digest,
// image.name, ...) as buildx writes it, plus stagebuild.gates. With one
// target the object is flat, as buildx build's; with several it is keyed
// by target, as buildx bake's. It is written on failure too, without
// digests, so CI can read the gate verdicts. The write is atomic.
func WriteMetadata(path string, res *Result) error {
	if res == nil {
		return nil
	}
	gates := map[string]GateMetadata{}
	for _, g := range res.Gates {
		m := GateMetadata{Gate: g.Gate, Status: "passed", ExitCode: g.ExitCode, Seconds: g.Duration.Seconds(), ReportsDir: g.ReportsDir}
		switch {
		case !g.Passed && g.Advisory:
			m.Status = "advisory-failed"
		case !g.Passed:
			m.Status = "failed"
		}
		if s := g.Summary; s != nil {
			m.Passed, m.Failed, m.Errors, m.Skipped = s.Passed, s.Failed, s.Errors, s.Skipped
		}
		gates[g.Name()] = m
	}
	perTarget := map[string]map[string]any{}
	for _, t := range res.Targets {
		entry := map[string]any{}
		for k, v := range t.Response {
			entry[k] = v
		}
		tg := []GateMetadata{} // [] rather than null for a target without gates
		for _, g := range t.Gates {
			if m, ok := gates[g]; ok {
				tg = append(tg, m)
			}
		}
		entry["stagebuild.target"] = t.Stage
		entry["stagebuild.gates"] = tg
		entry["stagebuild.exported"] = len(t.Exported) > 0
		perTarget[t.Stage] = entry
	}
	var doc any = perTarget
	if len(res.Targets) == 1 {
		doc = perTarget[res.Targets[0].Stage]
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp-")
	if err != nil {
		return fmt.Errorf("--metadata-file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), abs)
}
