package manifest

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// ParseRequirements reads a pip requirements file, following -r/--requirement
// and -c/--constraint includes (relative to the including file,
// cycle-safe). It returns every file read (slash paths, first the given
// one, then in the order they are included) and the sorted normalised
// names of the requirements (constraints files contribute files but not
// names).
func ParseRequirements(fsys fs.FS, file string) (files []string, packages []string, err error) {
	p, err := parseRequirements(fsys, file)
	if err != nil {
		return nil, nil, err
	}
	return p.files, sortedKeys(p.names), nil
}

type reqParser struct {
	fsys  fs.FS
	files []string
	read  map[string]bool // files listed
	done  map[string]bool // file + mode parsed
	names map[string]bool
	// included are the files pulled in by -r (not -c) from another file.
	included map[string]bool
}

func parseRequirements(fsys fs.FS, file string) (*reqParser, error) {
	p := &reqParser{fsys: fsys, read: map[string]bool{}, done: map[string]bool{}, names: map[string]bool{}, included: map[string]bool{}}
	file = path.Clean(file)
	if !fs.ValidPath(file) {
		return nil, fmt.Errorf("%s: not a path inside the build context (use a relative slash path)", file)
	}
	return p, p.parse(file, false, "")
}

var (
	reqNameRE = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(.*)$`)
	eggRE     = regexp.MustCompile(`#(?:.*&)?egg=([A-Za-z0-9][A-Za-z0-9._-]*)`)
)

// parse reads one file. constraint is true for -c files (and anything they
// include); via is the "file:line: -r arg" that included it, for errors.
func (p *reqParser) parse(file string, constraint bool, via string) error {
	key := fmt.Sprintf("%s\x00%t", file, constraint)
	if p.done[key] {
		return nil
	}
	p.done[key] = true
	data, err := fs.ReadFile(p.fsys, file)
	if err != nil {
		if via != "" {
			return fmt.Errorf("%s: %v (looked for %s; include paths are relative to the including file)", via, unwrapPathErr(err), file)
		}
		return fmt.Errorf("%s: %v", file, unwrapPathErr(err))
	}
	if !p.read[file] {
		p.read[file] = true
		p.files = append(p.files, file)
	}
	for _, l := range logicalLines(string(data)) {
		where := fmt.Sprintf("%s:%d", file, l.n)
		if strings.HasPrefix(l.text, "-") {
			if err := p.option(file, where, l.text, constraint); err != nil {
				return err
			}
			continue
		}
		if name := requirementName(l.text); name != "" && !constraint {
			p.names[NormalizeName(name)] = true
		}
	}
	return nil
}

// option handles an option line: includes are followed, an editable
// requirement contributes its #egg= name, anything else is ignored.
func (p *reqParser) option(file, where, line string, constraint bool) error {
	flag, arg := splitOption(line)
	switch flag {
	case "-r", "--requirement", "-c", "--constraint":
		if arg == "" {
			return fmt.Errorf("%s: %s needs a file name (write %s other-requirements.txt)", where, flag, flag)
		}
		via := fmt.Sprintf("%s: %s %s", where, flag, arg)
		switch {
		case strings.Contains(arg, "://"):
			return fmt.Errorf("%s: remote includes are not supported (download the file into the build context and include it by path)", via)
		case path.IsAbs(arg):
			return fmt.Errorf("%s: absolute include path (use a path relative to %s)", via, file)
		}
		target := path.Join(path.Dir(file), arg)
		if !fs.ValidPath(target) {
			return fmt.Errorf("%s: outside the build context (keep included files inside the context directory)", via)
		}
		isConstraint := constraint || flag == "-c" || flag == "--constraint"
		if !isConstraint && target != file {
			p.included[target] = true
		}
		return p.parse(target, isConstraint, via)
	case "-e", "--editable":
		if m := eggRE.FindStringSubmatch(arg); m != nil && !constraint {
			p.names[NormalizeName(m[1])] = true
		}
	}
	return nil
}

// splitOption splits "-r x", "-rx", "--requirement=x" and the like into the
// long or short flag and its argument.
func splitOption(line string) (flag, arg string) {
	f := strings.Fields(line)
	flag = f[0]
	if i := strings.IndexByte(flag, '='); strings.HasPrefix(flag, "--") && i > 0 {
		return flag[:i], flag[i+1:]
	}
	if !strings.HasPrefix(flag, "--") && len(flag) > 2 {
		return flag[:2], flag[2:]
	}
	if len(f) > 1 {
		arg = f[1]
	}
	return flag, arg
}

// requirementName returns the project name of a requirement line, or ""
// for a local path or archive. URLs contribute their #egg= name.
func requirementName(line string) string {
	if i := strings.Index(line, " -"); i >= 0 { // trailing options such as --hash
		line = strings.TrimSpace(line[:i])
	}
	m := reqNameRE.FindStringSubmatch(line)
	if m == nil {
		if e := eggRE.FindStringSubmatch(line); e != nil {
			return e[1]
		}
		return ""
	}
	name, rest := m[1], m[2]
	for _, ext := range []string{".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return ""
		}
	}
	if rest != "" && !strings.ContainsAny(rest[:1], "[(<>=!~;@") && !strings.HasPrefix(line[len(name):], " ") {
		if e := eggRE.FindStringSubmatch(line); e != nil { // git+https://...#egg=x
			return e[1]
		}
		return ""
	}
	return name
}

type reqLine struct {
	n    int
	text string
}

var commentRE = regexp.MustCompile(`(^|\s+)#.*$`)

// logicalLines joins backslash continuations (a comment line ends one, as
// in pip), strips comments and blank lines, and keeps the number of each
// logical line's first physical line.
func logicalLines(data string) []reqLine {
	var out []reqLine
	var cur strings.Builder
	start := 0
	emit := func(n int, s string) {
		s = strings.TrimSpace(commentRE.ReplaceAllString(s, ""))
		if s != "" {
			out = append(out, reqLine{n, s})
		}
	}
	for i, l := range strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n") {
		isComment := strings.HasPrefix(strings.TrimSpace(l), "#")
		if strings.HasSuffix(l, `\`) && !isComment {
			if cur.Len() == 0 {
				start = i + 1
			}
			cur.WriteString(strings.TrimSuffix(l, `\`))
			continue
		}
		if cur.Len() > 0 {
			if !isComment {
				cur.WriteString(l)
			}
			emit(start, cur.String())
			cur.Reset()
			if !isComment {
				continue
			}
		}
		emit(i+1, l)
	}
	if cur.Len() > 0 {
		emit(start, cur.String())
	}
	return out
}
