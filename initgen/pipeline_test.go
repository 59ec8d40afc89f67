package initgen

import (
	"os"
	"path/filepath"
	"testing"
)

// The pipeline init writes, whole: testdata/NAME.stagebuild.yaml is what
// init writes for testdata/init/NAME. Set STAGEBUILD_UPDATE_GOLDEN=1 to
// rewrite the files after a deliberate change, and read the diff.
func TestPipelineText(t *testing.T) {
	for _, name := range []string{"flask-requirements", "poetry-cli"} {
		t.Run(name, func(t *testing.T) {
			p, err := Inspect(os.DirFS(filepath.Join("..", "testdata", "init", name)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Pipeline()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".stagebuild.yaml")
			if os.Getenv("STAGEBUILD_UPDATE_GOLDEN") == "1" {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("pipeline:\n%s\nwant (%s):\n%s", got, golden, want)
			}
		})
	}
}
