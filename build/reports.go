package build

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/stagebuild/stagebuild/llbgen"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/report"
)

// ReportsMarker is the file stagebuild writes into every gate's reports
// directory (DIR/<gate>/.stagebuild-reports). A later run replaces a gate's
// directory only when it holds this marker: stagebuild never removes what
// it did not write.
const ReportsMarker = ".stagebuild-reports"

// ReportsDirError is a --reports directory stagebuild refuses to write
// into; nothing was built or changed.
type ReportsDirError struct {
	Dir string
	Why string
}

func (e *ReportsDirError) Error() string { return fmt.Sprintf("--reports %s: %s", e.Dir, e.Why) }

// CheckReportsDir refuses, before anything is built, a reports directory
// that is the build context or contains it (its gate subdirectories would
// stand where the project's own directories are), one reached through a
// symbolic link, and a gate's subdirectory that an earlier report run did
// not write.
func CheckReportsDir(dir, contextDir string, gates []string) error {
	bad := func(format string, args ...any) error {
		return &ReportsDirError{Dir: dir, Why: fmt.Sprintf(format, args...)}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return bad("%v", err)
	}
	ctxAbs, err := filepath.Abs(contextDir)
	if err != nil {
		return bad("%v", err)
	}
	if link := symlinkComponent(dir, abs, ctxAbs); link != "" {
		return bad("%s is a symbolic link; stagebuild writes reports only into real directories, never through a link "+
			"(name the link's target, or remove the link)", link)
	}
	if r, c := resolved(abs), resolved(ctxAbs); r == c || strings.HasPrefix(c, r+string(filepath.Separator)) {
		return bad("is the build context or contains it, so gate reports would replace the project's own directories " +
			"(name a directory of its own, such as " + DefaultReportsDir + ")")
	}
	if fi, err := os.Lstat(abs); err == nil && !fi.IsDir() {
		return bad("is not a directory")
	}
	for _, g := range gates {
		if err := checkGateDir(abs, g); err != nil {
			return bad("%v", err)
		}
	}
	return nil
}

// ReportGates names the planned gates that declare reports:.
func ReportGates(pl *plan.Plan) []string {
	var gates []string
	for _, st := range pl.Stages {
		if st.Gate && st.Reports != "" {
			gates = append(gates, st.Name)
		}
	}
	return gates
}

// symlinkComponent returns the first component of the reports path that is
// a symbolic link, among those the user controls: every component written
// in a relative path, and below the build context for an absolute one
// (plus the last). Links above both (a symlinked /home) are the machine's.
func symlinkComponent(dir, abs, ctxAbs string) string {
	base := filepath.Dir(abs)
	switch {
	case !filepath.IsAbs(dir):
		base, _ = os.Getwd()
	case strings.HasPrefix(abs, ctxAbs+string(filepath.Separator)):
		base = ctxAbs
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		rel, base = filepath.Base(abs), filepath.Dir(abs)
	}
	p := base
	for _, c := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, c)
		fi, err := os.Lstat(p)
		if err != nil {
			return ""
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return p
		}
	}
	return ""
}

// resolved is abs with the symbolic links of its existing part resolved.
func resolved(abs string) string {
	rest := ""
	for p := abs; ; p = filepath.Dir(p) {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		if p == filepath.Dir(p) {
			return abs
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}

// checkGateDir accepts a gate's reports directory that does not exist yet
// or that an earlier report run wrote (it holds the marker).
func checkGateDir(abs, gate string) error {
	p := filepath.Join(abs, gate)
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link; stagebuild writes reports only into real directories (remove the link)", p)
	case !fi.IsDir():
		return fmt.Errorf("%s exists and is not a reports directory stagebuild wrote (move it away, or name another --reports)", p)
	}
	if m, err := os.Lstat(filepath.Join(p, ReportsMarker)); err != nil || !m.Mode().IsRegular() {
		return fmt.Errorf("%s exists but was not written by stagebuild (it has no %s marker); stagebuild replaces only its own reports "+
			"(move it away, or name another --reports)", p, ReportsMarker)
	}
	return nil
}

// collectReports copies the gate's reports directory to the host, replacing
// the previous run's, and parses the JUnit XML in it; other files (such as a
// Cobertura coverage.xml) are copied and not parsed. Every write goes
// through an os.Root on the reports directory, so no symbolic link leads it
// elsewhere.
func (r *runner) collectReports(ctx context.Context, ref gateway.Reference, res *GateResult) error {
	name := reportsName(res)
	if err := CheckReportsDir(r.opts.ReportsDir, r.opts.ContextDir, []string{name}); err != nil {
		return err
	}
	if err := os.MkdirAll(r.opts.ReportsDir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(r.opts.ReportsDir)
	if err != nil {
		return err
	}
	defer root.Close()
	tmp := "." + name + ".tmp-" + randomSuffix()
	if err := root.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	defer root.RemoveAll(tmp) // only this run's temporary directory
	var xmls []string
	if err := copyTree(ctx, ref, llbgen.OutputDir, root, tmp, func(p string) {
		if strings.HasSuffix(p, ".xml") {
			xmls = append(xmls, strings.TrimPrefix(p, tmp+"/"))
		}
	}); err != nil {
		return err
	}
	if err := root.WriteFile(path.Join(tmp, ReportsMarker), []byte("written by stagebuild; a later run replaces this directory\n"), 0o644); err != nil {
		return err
	}
	if err := replaceGateDir(root, tmp, name); err != nil {
		return err
	}
	dest := filepath.Join(r.opts.ReportsDir, name)
	res.ReportsDir = dest
	for i := range xmls {
		xmls[i] = filepath.Join(dest, xmls[i])
	}
	sum, err := report.ParseFiles(xmls)
	if err != nil {
		return fmt.Errorf("parsing JUnit XML: %w", err)
	}
	res.Summary = sum
	return nil
}

// reportsName is the directory a gate's reports go to under --reports: the
// gate's name, and in a multi-platform build the gate's name and platform
// ("tests-linux_arm64"), as buildx names a platform's directory.
func reportsName(g *GateResult) string {
	if g.Platform == "" {
		return g.Gate
	}
	return g.Gate + "-" + strings.ReplaceAll(g.Platform, "/", "_")
}

// replaceGateDir moves tmp to gate inside root, removing an earlier run's
// gate directory only when it holds the marker.
func replaceGateDir(root *os.Root, tmp, gate string) error {
	fi, err := root.Lstat(gate)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory stagebuild wrote; nothing was replaced", gate)
	default:
		if m, err := root.Lstat(path.Join(gate, ReportsMarker)); err != nil || !m.Mode().IsRegular() {
			return fmt.Errorf("%s was not written by stagebuild (no %s marker); nothing was replaced", gate, ReportsMarker)
		}
		if err := root.RemoveAll(gate); err != nil {
			return err
		}
	}
	return root.Rename(tmp, gate)
}

// copyTree copies dir of ref into to inside root, calling seen with the
// root-relative path of every regular file written.
func copyTree(ctx context.Context, ref gateway.Reference, dir string, root *os.Root, to string, seen func(string)) error {
	entries, err := ref.ReadDir(ctx, gateway.ReadDirRequest{Path: dir})
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := path.Base(e.GetPath())
		if name == "." || name == ".." || name == "/" {
			continue
		}
		src := path.Join(dir, name)
		dst := path.Join(to, name)
		mode := os.FileMode(e.GetMode())
		switch {
		case mode.IsDir():
			if err := root.Mkdir(dst, 0o755); err != nil {
				return err
			}
			if err := copyTree(ctx, ref, src, root, dst, seen); err != nil {
				return err
			}
		case mode.IsRegular():
			data, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: src})
			if err != nil {
				return err
			}
			if err := root.WriteFile(dst, data, 0o644); err != nil {
				return err
			}
			seen(dst)
		}
	}
	return nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
