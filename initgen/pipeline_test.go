package initgen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The pipeline init writes, whole: testdata/NAME.stagebuild.yaml is what
// init writes for testdata/init/NAME. Set STAGEBUILD_UPDATE_GOLDEN=1 to
// rewrite the files after a deliberate change, and read the diff. NAME.pip
// is what `init --installer pip` writes.
func TestPipelineText(t *testing.T) {
	for _, name := range []string{"flask-requirements", "poetry-cli", "flask-requirements.pip", "poetry-cli.pip"} {
		t.Run(name, func(t *testing.T) {
			dir, installer, _ := strings.Cut(name, ".")
			p, err := Inspect(os.DirFS(filepath.Join("..", "testdata", "init", dir)))
			if err != nil {
				t.Fatal(err)
			}
			p.Installer = installer
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
