package dockerfile

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

// instr is one instruction of a generated Dockerfile, as a reader splits it.
type instr struct {
	Cmd   string   // FROM, RUN, ...
	Flags []string // --mount=..., --exclude=...
	Rest  string   // what follows the flags
	Body  string   // a heredoc's body, with its final newline
}

// dfStage is one FROM and the instructions under it.
type dfStage struct {
	Name, Base string
	Comments   []string
	Instrs     []instr
}

// parseDockerfile splits generated text into comments, stages and
// instructions; it knows only the forms the generator writes.
func parseDockerfile(t *testing.T, text string) (header []string, stages []*dfStage) {
	t.Helper()
	lines := strings.Split(text, "\n")
	var comments []string
	var cur *dfStage
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "":
			if cur == nil && header == nil {
				header, comments = comments, nil
			}
			continue
		case strings.HasPrefix(l, "#"):
			comments = append(comments, strings.TrimSpace(strings.TrimPrefix(l, "#")))
			continue
		}
		fields := strings.Fields(l)
		in := instr{Cmd: fields[0]}
		rest := strings.TrimSpace(strings.TrimPrefix(l, fields[0]))
		for strings.HasPrefix(rest, "--") {
			f, r, _ := strings.Cut(rest, " ")
			in.Flags = append(in.Flags, f)
			rest = strings.TrimSpace(r)
		}
		in.Rest = rest
		if strings.HasPrefix(rest, "<<'") {
			delim, _, _ := strings.Cut(strings.TrimPrefix(rest, "<<'"), "'")
			for i++; i < len(lines) && lines[i] != delim; i++ {
				in.Body += lines[i] + "\n"
			}
			if i == len(lines) {
				t.Fatalf("heredoc %s never ends", delim)
			}
		}
		if in.Cmd == "FROM" {
			if len(fields) != 4 || fields[2] != "AS" {
				t.Fatalf("FROM line %q: want FROM base AS name", l)
			}
			cur = &dfStage{Name: fields[3], Base: fields[1], Comments: comments}
			stages = append(stages, cur)
		} else if cur == nil && in.Cmd == "ARG" {
			continue // a global ARG: the platform args a fetch's variants read
		} else if cur == nil {
			t.Fatalf("%q before any FROM", l)
		} else {
			cur.Instrs = append(cur.Instrs, in)
		}
		comments = nil
	}
	return header, stages
}

func (s *dfStage) all(cmd string) []instr {
	var out []instr
	for _, in := range s.Instrs {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func (s *dfStage) rests(cmd string) []string {
	var out []string
	for _, in := range s.all(cmd) {
		out = append(out, in.Rest)
	}
	return out
}

func byName(stages []*dfStage) map[string]*dfStage {
	m := map[string]*dfStage{}
	for _, s := range stages {
		m[s.Name] = s
	}
	return m
}

// loadPlan plans a pipeline file for the given targets (none: every stage).
func loadPlan(t *testing.T, file, contextDir string, want ...string) (*plan.Plan, *pipeline.Pipeline) {
	t.Helper()
	p, err := pipeline.Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		want = p.StageNames()
	}
	res, err := targets.Resolve(p, want)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Make(p, res, os.DirFS(contextDir))
	if err != nil {
		t.Fatal(err)
	}
	return pl, p
}

func parsePipeline(t *testing.T, yaml string, want ...string) *plan.Plan {
	t.Helper()
	p, err := pipeline.Parse("p.yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		want = p.StageNames()
	}
	res, err := targets.Resolve(p, want)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Make(p, res, fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	return pl
}
