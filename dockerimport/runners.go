package dockerimport

import (
	"path"
	"regexp"
	"strings"

	"github.com/stagebuild/stagebuild/initgen"
)

// A runner is a test runner: the words a simple command starts with, and
// how to make it write a JUnit report to /reports (nil: it cannot).
type runner struct {
	name  string
	words [][]string // alternatives; "*python*" matches python, python3, python3.11
	junit func(args []string, at int) []string
}

// runners recognise the commands that run tests. Add an ecosystem by
// adding a row.
var runners = []runner{
	{"pytest", [][]string{{"pytest"}, {"py.test"}, {"*python*", "-m", "pytest"}}, pytestJUnit},
	{"unittest", [][]string{{"*python*", "-m", "unittest"}}, nil},
	{"Django's test runner", [][]string{{"*python*", "*manage.py", "test"}, {"*manage.py", "test"}, {"django-admin", "test"}}, nil},
	{"tox", [][]string{{"tox"}, {"*python*", "-m", "tox"}}, nil},
	{"nox", [][]string{{"nox"}, {"*python*", "-m", "nox"}}, nil},
	{"go test", [][]string{{"go", "test"}}, nil},
	{"npm test", [][]string{{"npm", "test"}, {"npm", "run", "test"}, {"yarn", "test"}, {"pnpm", "test"}}, nil},
	{"cargo test", [][]string{{"cargo", "test"}}, nil},
}

// wrappers run a command in a tool's environment; when the tool is not in
// the image, the command runs as itself.
var wrappers = []struct {
	tool  string
	words []string
}{
	{"poetry", []string{"poetry", "run"}},
	{"uv", []string{"uv", "run"}},
	{"pipenv", []string{"pipenv", "run"}},
	{"pdm", []string{"pdm", "run"}},
	{"hatch", []string{"hatch", "run"}},
}

const reportsDir = "/reports"

func pytestJUnit(args []string, at int) []string {
	for _, a := range args {
		if strings.HasPrefix(a, "--junitxml") || strings.HasPrefix(a, "--junit-xml") {
			return args
		}
	}
	out := append([]string(nil), args[:at]...)
	out = append(out, "--junitxml="+reportsDir+"/junit.xml")
	return append(out, args[at:]...)
}

func wordMatch(pattern, w string) bool {
	switch {
	case pattern == "*python*":
		return regexp.MustCompile(`^(.*/)?python[0-9.]*$`).MatchString(w)
	case strings.HasPrefix(pattern, "*"):
		return path.Base(w) == strings.TrimPrefix(pattern, "*")
	}
	return w == pattern
}

// skipPrefix is the index of a simple command's program: after VAR=value
// assignments, exec, and tool wrappers (poetry run and the like).
func skipPrefix(words []string) int {
	i := 0
	for i < len(words) && (plainAssign.MatchString(words[i]) || words[i] == "exec") {
		i++
	}
	for _, w := range wrappers {
		if hasWords(words[i:], w.words) {
			return i + len(w.words)
		}
	}
	return i
}

var plainAssign = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func hasWords(words, prefix []string) bool {
	if len(words) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if words[i] != p {
			return false
		}
	}
	return true
}

// matchRunner finds the runner an argv starts with, and where its own
// arguments start.
func matchRunner(words []string) (*runner, int) {
	i := skipPrefix(words)
	for k := range runners {
		for _, alt := range runners[k].words {
			if len(words)-i < len(alt) {
				continue
			}
			ok := true
			for j, p := range alt {
				ok = ok && wordMatch(p, words[i+j])
			}
			if ok {
				return &runners[k], i + len(alt)
			}
		}
	}
	return nil, 0
}

// runnerOf is the test runner a command runs, or nil: the program of one
// of its simple commands (a shell command is split at && ; || and |).
func runnerOf(c *initgen.Command) *runner {
	if !c.Shell {
		r, _ := matchRunner(c.Args)
		return r
	}
	for _, part := range simpleCommands(c.Args[0]) {
		if r, _ := matchRunner(strings.Fields(part.text)); r != nil {
			return r
		}
	}
	return nil
}

// testCommand is the gate's test: for a command, without the marker it
// leaves for a COPY --from, and with a JUnit report where the runner can
// write one.
func (c *converter) testCommand(cmd *initgen.Command, r *runner) (*initgen.Command, string) {
	test, reports, _ := c.testCommandMarkers(cmd, r)
	return test, reports
}

// testCommandMarkers is testCommand, and the marker files it dropped.
func (c *converter) testCommandMarkers(cmd *initgen.Command, r *runner) (*initgen.Command, string, []string) {
	if !cmd.Shell {
		_, at := matchRunner(cmd.Args)
		if r.junit == nil {
			return cmd, "", nil
		}
		return &initgen.Command{Args: r.junit(cmd.Args, at)}, reportsDir, nil
	}
	var kept, markers []string
	reports := ""
	for _, part := range simpleCommands(cmd.Args[0]) {
		words := strings.Fields(part.text)
		if len(kept) > 0 && part.sep == "&&" && isMarker(words) {
			markers = append(markers, path.Clean(strings.Trim(words[len(words)-1], ">'\"")))
			continue
		}
		if rr, at := matchRunner(words); rr != nil && rr.junit != nil && reports == "" && simpleWords(part.text) {
			words = rr.junit(words, at)
			part.text = strings.Join(words, " ")
			reports = reportsDir
		}
		if len(kept) > 0 {
			kept = append(kept, part.sep)
		}
		kept = append(kept, part.text)
	}
	return &initgen.Command{Args: []string{strings.Join(kept, " ")}, Shell: true}, reports, markers
}

// isMarker recognises the marker step of the marker trick: touch FILE, or
// echo ... > FILE.
func isMarker(words []string) bool {
	if len(words) >= 2 && words[0] == "touch" {
		return true
	}
	if len(words) >= 3 && words[0] == "echo" && (words[len(words)-2] == ">" || strings.HasPrefix(words[len(words)-1], ">")) {
		return true
	}
	return false
}

// simpleWords reports whether a command is plain words, so splitting and
// joining it on spaces keeps its meaning.
func simpleWords(s string) bool { return !strings.ContainsAny(s, "'\"\\$`\n\t") }

type simpleCommand struct {
	sep  string // the operator before it: "", "&&", "||", ";", "|"
	text string
}

// simpleCommands splits shell text at &&, ||, ;, | and newlines outside
// quotes. It is enough to find programs; the text is kept as written.
func simpleCommands(s string) []simpleCommand {
	var out []simpleCommand
	var b strings.Builder
	sep := ""
	var quote byte
	flush := func(next string) {
		if t := strings.TrimSpace(b.String()); t != "" {
			out = append(out, simpleCommand{sep, t})
		}
		b.Reset()
		sep = next
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else if ch == '\\' && quote == '"' && i+1 < len(s) {
				b.WriteByte(ch)
				i++
				ch = s[i]
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
			b.WriteByte(' ')
			continue
		case ch == '\\' && i+1 < len(s):
			b.WriteByte(ch)
			i++
			ch = s[i]
		case strings.HasPrefix(s[i:], "&&") || strings.HasPrefix(s[i:], "||"):
			flush(s[i : i+2])
			i++
			continue
		case ch == ';' || ch == '|' || ch == '\n':
			flush(string(ch))
			continue
		}
		b.WriteByte(ch)
	}
	flush("")
	return out
}

// joinCommands is the inverse of simpleCommands for kept parts.
func joinCommands(parts []simpleCommand) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			switch p.sep {
			case "\n", ";":
				b.WriteString("; ")
			default:
				b.WriteString(" " + p.sep + " ")
			}
		}
		b.WriteString(p.text)
	}
	return b.String()
}

// unwrap drops a tool wrapper (poetry run X → X) from the start of an
// argv, when the tool is absent from the image. It returns the tool.
func unwrap(words []string, absent map[string]bool) ([]string, string) {
	for _, w := range wrappers {
		if absent[w.tool] && hasWords(words, w.words) && len(words) > len(w.words) {
			return words[len(w.words):], w.tool
		}
	}
	return words, ""
}

// gateCommands gives a stage whose command runs tests (seed 001's dev
// image, run by CI as docker run app:dev) a gate of its own, when no RUN
// runs tests.
func (c *converter) gateCommands() {
	for _, s := range c.stages {
		if s.Test != nil {
			return
		}
	}
	var out []*stage
	for _, s := range c.stages {
		out = append(out, s)
		argv, line := s.ownCommand()
		if argv == nil {
			continue
		}
		r := runnerOf(argv)
		if r == nil {
			continue
		}
		name := "tests"
		if c.byName[name] != nil {
			name = c.freeName(s.Name + "_tests")
		}
		g := &stage{Name: name, From: s.Name, FromStage: true, Origin: s.Origin, Line: line, eff: s.eff.clone(), CmdGate: true}
		g.Test, g.Reports = c.testCommand(argv, r)
		g.TestLine = line
		g.eff.gate = true
		c.byName[name] = g
		out = append(out, g)
		c.note("converted", line, "stage %s runs %s as its command: gate %s runs `%s` in the build (%s stays an image)", s.Name, r.name, name, cmdText(argv), s.Name)
	}
	c.stages = out
}

// ownCommand is the command a stage's image runs, when the stage sets it:
// ENTRYPOINT and CMD joined.
func (s *stage) ownCommand() (*initgen.Command, int) {
	ep, cmd := s.Entrypoint, s.Cmd
	switch {
	case ep == nil && cmd == nil:
		return nil, 0
	case ep == nil:
		return cmd, s.CmdLine
	case cmd == nil || ep.Shell:
		return ep, s.EntrypointLine
	case cmd.Shell:
		return &initgen.Command{Args: append(append([]string(nil), ep.Args...), "/bin/sh", "-c", cmd.Args[0])}, s.EntrypointLine
	}
	return &initgen.Command{Args: append(append([]string(nil), ep.Args...), cmd.Args...)}, s.EntrypointLine
}
