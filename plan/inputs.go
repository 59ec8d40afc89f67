package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// InputsVersion is the format of Inputs; records of another version are
// treated as stale.
const InputsVersion = 1

// Inputs are the digests of everything that keys each step, to tell what a
// later build will re-run.
type Inputs struct {
	Version int `json:"version"`
	// Pipeline is the sha256 of the pipeline file's content.
	Pipeline string `json:"pipeline"`
	// Stages holds, per stage, one digest per step over its definition and
	// the files it reads from the context.
	Stages map[string][]string `json:"stages"`
	// Defs holds, per stage, one digest per step over its definition alone:
	// the step's plan data, the stage's base, and the workdir and (except
	// for copies) env, user and reports mount it has, the env inherited.
	Defs map[string][]string `json:"defs"`
	// Files holds, per stage and step, path → digest (type, mode, content or
	// link target) of every context entry the step reads; nil for a step
	// that reads none.
	Files map[string][]map[string]string `json:"files,omitempty"`
	// Bases maps base image references to their digests. Resolving them
	// needs a daemon, so it is empty for now.
	Bases map[string]string `json:"bases,omitempty"`
}

// ComputeInputs digests the plan's steps and the context files they read.
// Entries matching DefaultExcludes or the plan's excludes are skipped, as
// they are never sent.
func ComputeInputs(contextDir string, p *Plan) (*Inputs, error) {
	in := &Inputs{Version: InputsVersion, Stages: map[string][]string{}, Defs: map[string][]string{}, Files: map[string][]map[string]string{}}
	if p.Pipeline != "" {
		b, err := os.ReadFile(p.Pipeline)
		if err != nil {
			return nil, err
		}
		in.Pipeline = sha256Hex(b)
	}
	excludes := append(DefaultExcludes(), p.Context.Excludes...)
	memo := map[string]string{}
	inherited := map[string]Config{}
	for _, st := range p.Stages {
		eff := effective(inherited[st.Base.Stage], st.Config)
		inherited[st.Name] = eff
		steps, defs, files := []string{}, []string{}, make([]map[string]string, len(st.Steps))
		for i, s := range st.Steps {
			def := stepDefDigest(st.Base, eff, st.Reports, s)
			h := sha256.New()
			io.WriteString(h, def+"\n")
			if s.Src != "" && s.From == "" {
				m, err := readStepFiles(contextDir, s.Src, excludes, memo)
				if err != nil {
					return nil, fmt.Errorf("stage %s step %d: %w", st.Name, i+1, err)
				}
				files[i] = m
				for _, k := range inputKeys(m) {
					fmt.Fprintf(h, "%q %s\n", k, m[k])
				}
			}
			steps = append(steps, hex.EncodeToString(h.Sum(nil)))
			defs = append(defs, def)
		}
		in.Stages[st.Name], in.Defs[st.Name], in.Files[st.Name] = steps, defs, files
	}
	return in, nil
}

// stepDefDigest digests what keys a step apart from context files. It
// encodes the whole Step, so step kinds and fields added later are keyed too.
func stepDefDigest(base Base, eff Config, reports string, s Step) string {
	s.Source = ""
	if s.Kind == StepFetch {
		s.URL = "" // the checksum keys a fetch, as it keys BuildKit's http source
	}
	key := struct {
		Base    Base     `json:"base"`
		Workdir string   `json:"workdir"`
		Env     []EnvVar `json:"env,omitempty"`
		User    string   `json:"user,omitempty"`
		Reports string   `json:"reports,omitempty"`
		Step    Step     `json:"step"`
	}{Base: base, Workdir: eff.Workdir, Step: s}
	if s.Kind != StepCopy { // a copy sees no env, user or mounts
		key.Env, key.User, key.Reports = eff.Env, eff.User, reports
	}
	b, _ := json.Marshal(key)
	return sha256Hex(b)
}

// effective is what a stage's commands run with, base image config aside:
// its workdir, user and env over those of its base stage. Env entries are
// appended, not merged: a value may refer to an inherited one.
func effective(parent, own Config) Config {
	c := Config{Workdir: orText(own.Workdir, parent.Workdir), User: orText(own.User, parent.User)}
	c.Env = append(append([]EnvVar(nil), parent.Env...), own.Env...)
	return c
}

// readStepFiles digests every entry that a copy of src reads. A missing src
// gives an empty map: the build itself reports it.
func readStepFiles(contextDir, src string, excludes []string, memo map[string]string) (map[string]string, error) {
	out := map[string]string{}
	root := contextDir
	if !strings.ContainsAny(src, "*?[") {
		root = filepath.Join(contextDir, filepath.FromSlash(src))
		if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
			return out, nil
		}
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(contextDir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if Excluded(rel, excludes) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !Reads(src, rel) || rel == src && d.IsDir() {
			return nil // outside src (wildcards), or src itself
		}
		if dg, ok := memo[rel]; ok {
			out[rel] = dg
			return nil
		}
		dg, err := entryDigest(p, d)
		if err != nil {
			return err
		}
		memo[rel], out[rel] = dg, dg
		return nil
	})
	return out, err
}

func entryDigest(p string, d fs.DirEntry) (string, error) {
	info, err := d.Info()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", info.Mode())
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		io.WriteString(h, target)
	case info.Mode().IsRegular():
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func inputKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Reads reports whether a step copying the context path src reads the file
// (or directory) p: src is p or a parent directory of it, or p is a
// directory holding src. src may use path.Match wildcards, as copies do.
func Reads(src, p string) bool {
	src, p = path.Clean(src), path.Clean(p)
	if src == "." || p == "." {
		return true
	}
	s, f := strings.Split(src, "/"), strings.Split(p, "/")
	if matchSegments(s, f, false) {
		return true
	}
	return len(f) < len(s) && strings.Join(s[:len(f)], "/") == p
}

// Excluded reports whether the context path p, or a directory holding it,
// matches one of the exclude patterns (path.Match segments, and ** for any
// number of directories, as in .dockerignore).
func Excluded(p string, patterns []string) bool {
	f := strings.Split(path.Clean(p), "/")
	for _, pat := range patterns {
		if pat == "" || strings.HasPrefix(pat, "!") {
			continue
		}
		if matchSegments(strings.Split(path.Clean(pat), "/"), f, true) {
			return true
		}
	}
	return false
}

// matchSegments reports whether pat matches the leading segments of segs.
func matchSegments(pat, segs []string, globstar bool) bool {
	if len(pat) == 0 {
		return true
	}
	if globstar && pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchSegments(pat[1:], segs[i:], globstar) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], segs[0])
	return err == nil && ok && matchSegments(pat[1:], segs[1:], globstar)
}
