package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/stagebuild/stagebuild/dockerfile"
	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

func runDockerfileCmd(t *testing.T, args ...string) (*DockerfileOptions, error) {
	t.Helper()
	var got *DockerfileOptions
	var buf bytes.Buffer
	cmd := newDockerfileCmd(Streams{Out: &buf, Err: &buf}, func(o *DockerfileOptions) error { got = o; return nil })
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	return got, cmd.Execute()
}

func TestDockerfileOptions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want DockerfileOptions
	}{
		{"defaults", nil, DockerfileOptions{File: "stagebuild.yaml", ContextDir: ".", Output: "-", Command: "stagebuild dockerfile"}},
		{"everything", []string{"ctx", "-f", "ci/p.yaml", "--target", "service", "--target", "localdev", "--build-arg", "B=2", "--build-arg", "A=x y", "-o", "out/Dockerfile"},
			DockerfileOptions{File: "ci/p.yaml", ContextDir: "ctx", Targets: []string{"service", "localdev"}, BuildArgs: map[string]string{"A": "x y", "B": "2"},
				Output: "out/Dockerfile", Command: "stagebuild dockerfile ctx -f ci/p.yaml --target service --target localdev --build-arg 'A=x y' --build-arg B=2 -o out/Dockerfile"}},
		{"-o -", []string{"-o", "-", "examples/app"},
			DockerfileOptions{File: "examples/app/stagebuild.yaml", ContextDir: "examples/app", Output: "-", Command: "stagebuild dockerfile examples/app"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runDockerfileCmd(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.BuildArgs == nil {
				tc.want.BuildArgs = map[string]string{}
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options\n%+v\nwant\n%+v", *got, tc.want)
			}
		})
	}
	for _, c := range [][]string{{"a", "b", "dockerfile takes at most one DIR argument, got 2 (a b)"}, {"-o", "", "-o: give a file, or - for stdout"}} {
		if _, err := runDockerfileCmd(t, c[:2]...); err == nil || err.Error() != c[2] || ExitCode(err) != ExitUsage {
			t.Errorf("%q: %v, want %s", c[:2], err, c[2])
		}
	}
}

func mainOut(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb}); code != ExitOK {
		t.Fatalf("%q: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// parseWithBuildKit parses a Dockerfile as BuildKit's dockerfile frontend
// does, flags and mounts included.
func parseWithBuildKit(t *testing.T, text string) []instructions.Stage {
	t.Helper()
	res, err := parser.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("BuildKit's parser: %v\n%s", err, text)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("BuildKit's instructions: %v\n%s", err, text)
	}
	return stages
}

// BuildKit's own parser accepts the example's Dockerfile, written to stdout
// or to a file.
func TestDockerfileOfExampleParses(t *testing.T) {
	text := mainOut(t, "dockerfile", planExampleDir)
	stages := parseWithBuildKit(t, text)
	if len(stages) < 3 || stages[len(stages)-1].Name != "service" {
		t.Fatalf("%d stages, last %q", len(stages), stages[len(stages)-1].Name)
	}
	dest := filepath.Join(t.TempDir(), "Dockerfile")
	mainOut(t, "dockerfile", planExampleDir, "-o", dest)
	b, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(text, "stagebuild dockerfile "+planExampleDir+"\n", "stagebuild dockerfile "+planExampleDir+" -o "+dest+"\n", 1)
	if want = strings.Replace(want, "build -f Dockerfile ", "build -f "+dest+" ", 1); string(b) != want {
		t.Errorf("-o FILE wrote something else than stdout:\n%s", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 1 {
		t.Errorf("temporary files left beside %s: %v", dest, entries)
	}
}

const formsPipeline = `version: 1
default: app
stages:
  app:
    from: busybox:latest
    workdir: /work dir
    user: "app user"
    env:
      A: "x y"
      B: '${A}/$A-$ "q" \ $HOME ${A:-d}'
    labels: {"a b": 'c "d" $e', plain: value}
    copy: [{src: "my file.txt", to: "/data/it's $x"}, {src: "$weird", to: /w}]
    run:
      - |
        echo one
        echo two
      - [sh, -c, 'echo "$B"']
`

// What BuildKit's lexer reads back from the Dockerfile is what stagebuild
// would use: literal config values, and env values expanded as os.Expand
// expands them over the env built so far.
func TestDockerfileWordsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stagebuild.yaml"), []byte(formsPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	stages := parseWithBuildKit(t, mainOut(t, "dockerfile", dir))
	env := []string{"PATH=/usr/bin", "HOME=/root"}
	lex := shell.NewLex('\\')
	expand := func(w string) (string, error) {
		out, _, err := lex.ProcessWord(w, shell.EnvsFromSlice(env))
		return out, err
	}
	got := map[string][]string{}
	for _, c := range stages[0].Commands {
		if ex, ok := c.(instructions.SupportsSingleWordExpansion); ok {
			if err := ex.Expand(expand); err != nil {
				t.Fatalf("%s: %v", c.Name(), err)
			}
		}
		switch c := c.(type) {
		case *instructions.WorkdirCommand:
			got["workdir"] = append(got["workdir"], c.Path)
		case *instructions.UserCommand:
			got["user"] = append(got["user"], c.User)
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env = append(env, kv.Key+"="+kv.Value)
				got["env"] = append(got["env"], kv.Key+"="+kv.Value)
			}
		case *instructions.LabelCommand:
			for _, kv := range c.Labels {
				got["label"] = append(got["label"], kv.Key+"="+kv.Value)
			}
		case *instructions.CopyCommand:
			got["copy"] = append(got["copy"], strings.Join(c.SourcePaths, "|")+" -> "+c.DestPath)
		case *instructions.RunCommand:
			if len(c.Files) > 0 {
				got["run"] = append(got["run"], "heredoc:"+c.Files[0].Data)
			} else {
				got["run"] = append(got["run"], strings.Join(c.CmdLine, "|"))
			}
		}
	}
	want := map[string][]string{
		"workdir": {"/work dir"},
		"user":    {"app user"},
		"env":     {"A=x y", `B=x y/x y-$ "q" \ /root `},
		"label":   {`a b=c "d" $e`, "plain=value"},
		"copy":    {"my file.txt -> /data/it's $x", "$weird -> /w"},
		"run":     {"heredoc:echo one\necho two\n\n", `sh|-c|echo "$B"`},
	}
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s: BuildKit reads %q, want %q", k, got[k], w)
		}
	}
}

// BuildKit reads the generated mounts and heredocs as stagebuild means them.
func TestDockerfileMountsAsBuildKitReadsThem(t *testing.T) {
	p, err := pipeline.Parse("p.yaml", []byte("version: 1\nstages:\n  unit:\n    from: alpine:3\n    test: pytest\n    reports: /reports\n"+
		"  app:\n    from: alpine:3\n    workdir: /app\n    run: make\n    cache: [/root/.cache]\n    gated_by: [unit]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := targets.Resolve(p, []string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Make(p, res, fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	app := pl.Stage("app")
	app.Steps = append([]plan.Step{{Kind: plan.StepFile, Dest: "req.txt", Content: "# generated\n\na==1\n$HOME\n", Source: "p.yaml:1:1"}}, app.Steps...)
	app.Steps[1].Secrets = []plan.SecretMount{{ID: "token", Env: "TOKEN"}, {ID: "netrc", Target: "/root/.netrc", Optional: true}}
	app.Steps[1].SSH = []string{"default"}
	text, err := dockerfile.Generate(pl, dockerfile.Options{Last: "app"})
	if err != nil {
		t.Fatal(err)
	}
	stages := parseWithBuildKit(t, string(text))
	var mounts []string
	var files []string
	for _, st := range stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.RunCommand:
				if err := c.Expand(func(w string) (string, error) { return w, nil }); err != nil {
					t.Fatal(err)
				}
				for _, m := range instructions.GetMounts(c) {
					s := fmt.Sprintf("%s %s type=%s from=%s id=%s target=%s ro=%v required=%v sharing=%s", st.Name, c.CmdLine,
						m.Type, m.From, m.CacheID, m.Target, m.ReadOnly, m.Required, m.CacheSharing)
					if m.Env != nil {
						s += " env=" + *m.Env
					}
					if m.Mode != nil {
						s += fmt.Sprintf(" mode=%o", *m.Mode)
					}
					mounts = append(mounts, s)
				}
			case *instructions.CopyCommand:
				for _, sc := range c.SourceContents {
					files = append(files, fmt.Sprintf("%s -> %s: %q expand=%v", sc.Path, c.DestPath, sc.Data, sc.Expand))
				}
			}
		}
	}
	want := []string{
		"unit [pytest] type=tmpfs from= id= target=/reports ro=false required=false sharing=",
		"app [make] type=cache from= id=stagebuild:/root/.cache target=/root/.cache ro=false required=false sharing=locked",
		"app [make] type=secret from= id=token target= ro=true required=true sharing= env=TOKEN",
		"app [make] type=secret from= id=netrc target=/root/.netrc ro=true required=false sharing= mode=444",
		"app [make] type=ssh from= id=default target= ro=true required=true sharing=",
		"app [true] type=bind from=unit id= target=/tmp/stagebuild-gate-unit ro=true required=false sharing=",
	}
	if !slices.Equal(mounts, want) {
		t.Errorf("mounts\n%s\nwant\n%s", strings.Join(mounts, "\n"), strings.Join(want, "\n"))
	}
	if want := []string{`STAGEBUILD_EOF -> req.txt: "# generated\n\na==1\n$HOME\n" expand=false`}; !slices.Equal(files, want) {
		t.Errorf("heredoc files %q, want %q", files, want)
	}
}
