package dockerfile

import (
	"slices"
	"testing"
)

// TestCopyOptions: a copy's owner, mode and exclusions become --chown,
// --chmod and --exclude, after the context's own excludes.
func TestCopyOptions(t *testing.T) {
	pl := parsePipeline(t, `
version: 1
stages:
  app:
    from: alpine:3
    workdir: /app
    copy:
      - {src: src, chown: "app:app", chmod: 755, exclude: ["*.md", tests]}
      - {src: bin, to: /usr/local/bin/, chown: "1000"}
`)
	_, _, stages := generate(t, pl, Options{Pipeline: "p.yaml", Last: "app"})
	copies := byName(stages)["app"].all("COPY")
	if len(copies) != 2 {
		t.Fatalf("COPY %+v", copies)
	}
	want := []string{"--chown=app:app", "--chmod=0755", "--exclude=**/.venv", "--exclude=**/__pycache__", "--exclude=**/node_modules",
		"--exclude=**/*.pyc", "--exclude=*.md", "--exclude=tests"}
	if got := copies[0].Flags; !slices.Equal(got, want) || copies[0].Rest != "src src" {
		t.Errorf("COPY src flags\n%q\nwant\n%q (rest %q)", got, want, copies[0].Rest)
	}
	if got := copies[1].Flags; len(got) == 0 || got[0] != "--chown=1000" || slices.ContainsFunc(got, func(f string) bool { return f[:7] == "--chmod" }) {
		t.Errorf("COPY bin flags %q", got)
	}
}

// TestCopyFrom: a copy from a stage is COPY --from, after that stage is
// defined, without the context's excludes.
func TestCopyFrom(t *testing.T) {
	pl := parsePipeline(t, `
version: 1
stages:
  app:
    from: alpine:3
    workdir: /app
    copy:
      - {src: /out/app, to: /usr/local/bin/app, from: build, chmod: 755}
  build:
    from: alpine:3
    run: mkdir /out && touch /out/app
`, "app")
	_, _, stages := generate(t, pl, Options{Pipeline: "p.yaml", Last: "app"})
	if got := stageNames(stages); !slices.Equal(got, []string{"build", "app"}) {
		t.Fatalf("stages %q, want build before app", got)
	}
	copies := byName(stages)["app"].all("COPY")
	if len(copies) != 1 || !slices.Equal(copies[0].Flags, []string{"--from=build", "--chmod=0755"}) || copies[0].Rest != "/out/app /usr/local/bin/app" {
		t.Errorf("COPY %+v", copies)
	}
}
