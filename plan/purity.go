package plan

import (
	"github.com/stagebuild/stagebuild/manifest"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/stagebuild/stagebuild/pipeline"
)

// Purity is what must not be found in a gated image: the packages and paths
// that the pipeline only gives to test and dev stages.
type Purity struct {
	// Packages are normalised Python distribution names declared only by
	// manifests copied into test-only stages.
	Packages []Sourced `json:"packages,omitempty"`
	// Paths are image paths that only test-only stages copy.
	Paths []string `json:"paths,omitempty"`
	// Installs are test-only stages whose run steps install packages; what
	// each installs beyond its parent stage is forbidden too.
	Installs []Install `json:"installs,omitempty"`
}

// Install is a test-only stage with run steps, and the stage it starts from.
type Install struct {
	Stage  string `json:"stage"`
	Parent string `json:"parent"`
}

// Sourced is a forbidden package with the manifest that declares it.
type Sourced struct {
	Name     string `json:"name"`
	Manifest string `json:"manifest"`
}

// planPurity derives the purity check of every gated image stage of the
// plan: what the stages on the test side of its gates add must not be in
// it. Test-side stages are the ancestors of its gates that are not its own
// ancestors, and every stage built from those (localdev and the like).
func planPurity(p *pipeline.Pipeline, plan *Plan, fsys *contextFS) error {
	wd := newWorkdirs(p)
	for i := range plan.Stages {
		st := &plan.Stages[i]
		s := p.Stage(st.Name)
		if s.IsGate() || len(s.GatedBy) == 0 || (s.Purity != nil && !*s.Purity) {
			continue
		}
		own := lineage(p, s.Name)
		side := testSide(p, s, own)
		copied := map[string]bool{}
		for n := range own {
			for _, c := range p.Stage(n).Copy {
				if c.From.Value == "" {
					copied[path.Clean(c.Src.Value)] = true
				}
			}
		}
		pur := &Purity{}
		seenPkg := map[string]bool{}
		ownPkg := map[string]bool{} // what the image's own install: steps put in
		for n := range own {
			pkgs, err := installedPackages(p.Stage(n), fsys)
			if err != nil {
				return err
			}
			for _, pkg := range pkgs {
				ownPkg[pkg] = true
			}
		}
		for _, o := range p.Stages {
			if !side[o.Name] {
				continue
			}
			pkgs, err := installedPackages(o, fsys)
			if err != nil {
				return err
			}
			for _, n := range pkgs {
				if !seenPkg[n] && !ownPkg[n] {
					seenPkg[n] = true
					pur.Packages = append(pur.Packages, Sourced{Name: n, Manifest: "install: of stage " + o.Name})
				}
			}
			for _, c := range o.Copy {
				src := path.Clean(c.Src.Value)
				if c.From.Value != "" || copied[src] {
					continue // a copy from a stage brings that stage's files, judged there
				}
				if dest := copyDest(wd, o, c); dest != "" {
					pur.Paths = append(pur.Paths, dest)
				}
				if !isRequirements(src) {
					continue
				}
				declared, err := testRequirements(fsys, src, copied, map[string]bool{})
				if err != nil {
					return err
				}
				for _, d := range declared {
					if !seenPkg[d.Name] {
						seenPkg[d.Name] = true
						pur.Packages = append(pur.Packages, d)
					}
				}
			}
			if (len(o.Run) > 0 || o.Install != nil) && !o.IsGate() && o.FromStage != "" && plan.Stage(o.Name) != nil {
				pur.Installs = append(pur.Installs, Install{Stage: o.Name, Parent: o.FromStage})
			}
		}
		sort.Strings(pur.Paths)
		st.Purity = pur
	}
	return nil
}

// testSide are the stages on the test side of s's gates: their ancestors
// outside own (s's lineage), and every stage built from one of those. Each
// stage is looked at once, however many gates share its ancestry.
func testSide(p *pipeline.Pipeline, s *pipeline.Stage, own map[string]bool) map[string]bool {
	side := map[string]bool{}
	walked := map[string]bool{}
	for _, g := range s.GatedBy {
		for st := p.Stage(g.Value); st != nil && !walked[st.Name]; st = p.Stage(st.FromStage) {
			walked[st.Name] = true
			if !own[st.Name] {
				side[st.Name] = true
			}
		}
	}
	// A stage descends from the test side when its base is on it or
	// descends from it.
	descends := map[string]bool{}
	var fromSide func(st *pipeline.Stage) bool
	fromSide = func(st *pipeline.Stage) bool {
		if v, ok := descends[st.Name]; ok {
			return v
		}
		descends[st.Name] = false // a cycle, were there one, ends here
		v := side[st.Name]
		if base := p.Stage(st.FromStage); !v && base != nil {
			v = fromSide(base)
		}
		descends[st.Name] = v
		return v
	}
	for _, o := range p.Stages {
		if !own[o.Name] && fromSide(o) {
			side[o.Name] = true
		}
	}
	return side
}

// lineage is a stage and every stage it is built from.
func lineage(p *pipeline.Pipeline, name string) map[string]bool {
	out := map[string]bool{}
	for s := p.Stage(name); s != nil && !out[s.Name]; s = p.Stage(s.FromStage) {
		out[s.Name] = true
		if s.FromStage == "" {
			break
		}
	}
	return out
}

// copyDest is the absolute image path a copy writes, or "" when it is
// relative to a workdir the pipeline does not declare.
func copyDest(wd *workdirs, s *pipeline.Stage, c pipeline.Copy) string {
	dest := c.To.Value
	if dest == "" {
		dest = path.Clean(c.Src.Value)
	}
	if path.IsAbs(dest) {
		return path.Clean(dest)
	}
	if w := wd.of(s); w != "" {
		return path.Join(w, dest)
	}
	return ""
}

// workdirs finds the workdir each stage declares or inherits from the
// stages it is built from, walking each chain of bases once (a chain of
// 400 stages would otherwise be walked from every stage on it).
type workdirs struct {
	p    *pipeline.Pipeline
	memo map[*pipeline.Stage]string
}

func newWorkdirs(p *pipeline.Pipeline) *workdirs {
	return &workdirs{p: p, memo: map[*pipeline.Stage]string{}}
}

// of is the workdir s declares or inherits, or "" when none does.
func (w *workdirs) of(s *pipeline.Stage) string {
	var chain []*pipeline.Stage
	found := ""
	for st := s; st != nil; st = w.p.Stage(st.FromStage) {
		if v, ok := w.memo[st]; ok {
			found = v
			break
		}
		chain = append(chain, st)
		if st.Workdir.Value != "" {
			found = st.Workdir.Value
			break
		}
		if st.FromStage == "" || len(chain) > len(w.p.Stages) {
			break // no base, or a cycle (validation reports it)
		}
	}
	for _, st := range chain {
		w.memo[st] = found
	}
	return found
}

// isRequirements tells pip requirements files by name.
func isRequirements(p string) bool {
	b := path.Base(p)
	return strings.HasSuffix(b, ".txt") && strings.Contains(b, "requirements")
}

// testRequirements are the packages a test-side requirements file declares
// itself, or through the files it includes that the image's own stages do
// not copy: `-r requirements.txt` in test_requirements.txt names the
// service's own dependencies, which are not test-only.
func testRequirements(fsys fs.FS, file string, own, seen map[string]bool) ([]Sourced, error) {
	if seen[file] {
		return nil, nil
	}
	seen[file] = true
	files, pkgs, err := manifest.ParseRequirements(onlyFile{fsys, file}, file)
	if err != nil {
		return nil, err
	}
	var out []Sourced
	for _, n := range pkgs {
		out = append(out, Sourced{Name: n, Manifest: file})
	}
	for _, inc := range files[1:] {
		if own[inc] {
			continue
		}
		more, err := testRequirements(fsys, inc, own, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// onlyFile reads one file of fsys; every other file reads as empty, so
// parsing it yields its own requirements and the names of its includes.
type onlyFile struct {
	fs.FS
	name string
}

func (o onlyFile) Open(name string) (fs.File, error) {
	if name == o.name {
		return o.FS.Open(name)
	}
	if _, err := fs.Stat(o.FS, name); err != nil {
		return nil, err
	}
	return emptyFile{}, nil
}

type emptyFile struct{}

func (emptyFile) Stat() (fs.FileInfo, error) { return emptyInfo{}, nil }
func (emptyFile) Read([]byte) (int, error)   { return 0, io.EOF }
func (emptyFile) Close() error               { return nil }

type emptyInfo struct{}

func (emptyInfo) Name() string       { return "empty" }
func (emptyInfo) Size() int64        { return 0 }
func (emptyInfo) Mode() fs.FileMode  { return 0o444 }
func (emptyInfo) ModTime() time.Time { return time.Time{} }
func (emptyInfo) IsDir() bool        { return false }
func (emptyInfo) Sys() any           { return nil }
