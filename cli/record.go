package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stagebuild/stagebuild/daemon"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
)

// inputsRecord is what the last successful build of a context and pipeline
// file read: the digests of its steps' inputs and the arg values it used.
type inputsRecord struct {
	*plan.Inputs
	Context      string            `json:"context"`
	PipelineFile string            `json:"pipeline_file"`
	Args         map[string]string `json:"args,omitempty"`
}

// recordPath is <StateDir>/records/<key>.json, the key being the first 16
// hex digits of sha256(abs context dir + "\x00" + abs pipeline file).
func recordPath(contextDir, file string) (absCtx, absFile, path string, err error) {
	if absCtx, err = filepath.Abs(contextDir); err != nil {
		return "", "", "", err
	}
	if absFile, err = filepath.Abs(file); err != nil {
		return "", "", "", err
	}
	sum := sha256.Sum256([]byte(absCtx + "\x00" + absFile))
	path = filepath.Join(daemon.StateDir(), "records", hex.EncodeToString(sum[:])[:16]+".json")
	return absCtx, absFile, path, nil
}

// recordInputs records the inputs of a successful build for `stagebuild
// plan`. A failure only warns: the build itself succeeded.
func recordInputs(s Streams, contextDir, file string, p *pipeline.Pipeline, pl *plan.Plan) {
	if err := writeRecord(contextDir, file, p, pl); err != nil {
		fmt.Fprintf(s.Err, "stagebuild: warning: recording the build's inputs for `stagebuild plan`: %s\n", oneLine(err.Error()))
	}
}

func writeRecord(contextDir, file string, p *pipeline.Pipeline, pl *plan.Plan) error {
	absCtx, absFile, path, err := recordPath(contextDir, file)
	if err != nil {
		return err
	}
	in, err := plan.ComputeInputs(contextDir, pl)
	if err != nil {
		return err
	}
	data, err := json.Marshal(inputsRecord{Inputs: in, Context: absCtx, PipelineFile: absFile, Args: p.ArgValues})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".record-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// loadRecord returns the record of the last successful build, or nil when
// there is none.
func loadRecord(contextDir, file string) (*inputsRecord, error) {
	_, _, path, err := recordPath(contextDir, file)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec := &inputsRecord{Inputs: &plan.Inputs{}}
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("%s: %w (delete it, or build again)", path, err)
	}
	return rec, nil
}

// nameArgs adds the args whose values differ from the record's to the
// detail of arg changes: the plan cannot tell which arg a step used, but
// only those can have changed it.
func nameArgs(changes []plan.Change, old, cur map[string]string) {
	var diff []string
	for k, v := range cur {
		if was, ok := old[k]; ok && was != v {
			diff = append(diff, fmt.Sprintf("%s %q → %q", k, was, v))
		}
	}
	if len(diff) == 0 {
		return
	}
	sort.Strings(diff)
	for i, c := range changes {
		if c.Kind == plan.ChangeArg {
			changes[i].Detail = "build arg changed: " + strings.Join(diff, ", ")
		}
	}
}

// planChanges returns the changes to explain and where they come from:
// "changed" (--changed), "record" (the last build), or "" for none.
func planChanges(s Streams, o *PlanOptions, p *pipeline.Pipeline, pl *plan.Plan, cur *plan.Inputs) ([]plan.Change, string) {
	changes := []plan.Change{}
	if len(o.Changed) > 0 {
		for _, c := range o.Changed {
			changes = append(changes, plan.Change{Kind: plan.ChangeFile, Path: c, Detail: "changed"})
		}
		return changes, "changed"
	}
	if cur == nil {
		return nil, ""
	}
	rec, err := loadRecord(o.ContextDir, o.File)
	if err != nil {
		fmt.Fprintf(s.Err, "stagebuild: warning: the record of the last build: %s\n", oneLine(err.Error()))
	}
	if rec == nil {
		fmt.Fprintf(s.Err, "stagebuild: no previous build recorded for %s; run stagebuild build first, or pass --changed PATH\n", o.ContextDir)
		return nil, ""
	}
	changes = append(changes, plan.DiffInputs(rec.Inputs, cur, pl)...)
	nameArgs(changes, rec.Args, p.ArgValues)
	return changes, "record"
}

func rebuildOf(rs []plan.Rebuild, stage string) *plan.Rebuild {
	for i := range rs {
		if rs[i].Stage == stage {
			return &rs[i]
		}
	}
	return nil
}

// contextPath makes p a slash path relative to the context dir. A relative
// p is taken relative to the context when it exists there, else relative to
// the current directory when that lands inside the context.
func contextPath(contextDir, p string) (string, error) {
	absCtx, err := filepath.Abs(contextDir)
	if err != nil {
		return "", err
	}
	cand := filepath.Clean(p)
	if !filepath.IsAbs(p) {
		if _, err := os.Lstat(filepath.Join(absCtx, cand)); err != nil {
			if abs, err := filepath.Abs(p); err == nil && inside(absCtx, abs) {
				cand = abs
			}
		}
	}
	if filepath.IsAbs(cand) {
		if cand, err = filepath.Rel(absCtx, cand); err != nil {
			return "", err
		}
	}
	if cand == ".." || strings.HasPrefix(cand, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("--changed %s: outside the build context %s", p, contextDir)
	}
	return filepath.ToSlash(cand), nil
}

func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func describeChange(c plan.Change) string {
	if c.Stage != "" {
		return fmt.Sprintf("%s: %s (%s step %d)", c.Kind, c.Detail, c.Stage, c.Step+1)
	}
	return strings.TrimSpace(fmt.Sprintf("%s: %s %s", c.Kind, c.Path, c.Detail))
}

func sortedFiles(m map[string]string) []string {
	files := make([]string, 0, len(m))
	for f := range m {
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}
