package dockerimport

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden .yaml files")

// Each testdata/NAME.Dockerfile, imported with testdata/ctx as its
// context, gives exactly testdata/NAME.yaml (notes included).
func TestImportGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.Dockerfile")
	if len(files) == 0 {
		t.Fatal("no testdata/*.Dockerfile")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".Dockerfile")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(os.DirFS("testdata/ctx"), "Dockerfile", data)
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(f, ".Dockerfile") + ".yaml"
			if *update {
				if err := os.WriteFile(golden, res.Pipeline, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Pipeline) != string(want) {
				t.Errorf("%s: got\n%s\nwant\n%s", name, res.Pipeline, want)
			}
		})
	}
}

// The integration test's projects (seed 000, seed 001, FastAPI with uv,
// Django, Flask with the marker trick) import to exactly
// testdata/projects/NAME.yaml. fastapi-uv has no uv.lock here (none is
// committed), so its uv installs are kept, with a warning.
func TestImportProjects(t *testing.T) {
	dirs, _ := filepath.Glob("../integration/testdata/import/*/Dockerfile")
	if len(dirs) < 5 {
		t.Fatalf("found %d projects", len(dirs))
	}
	for _, df := range dirs {
		dir := filepath.Dir(df)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(df)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(os.DirFS(dir), "Dockerfile", data)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "projects", name+".yaml")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, res.Pipeline, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Pipeline) != string(want) {
				t.Errorf("%s: got\n%s\nwant\n%s", name, res.Pipeline, want)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "# nothing\n", "Dockerfile:1: file with no instructions (fix the Dockerfile syntax)"},
		{"no FROM", "ARG A=1\n", "Dockerfile: no FROM instruction (give the Dockerfile of a multi-stage build)"},
		{"bad instruction", "FROM python\nCOPY onlyone\n", "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined (fix the instruction)"},
		{"bad mount", "FROM python\nRUN --mount=type=nope true\n", "Dockerfile:2: RUN --mount: unsupported mount type \"nope\" (fix the mount)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import(os.DirFS(t.TempDir()), "Dockerfile", []byte(tc.text))
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}
