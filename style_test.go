package stagebuild_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// No package exports a mutable variable: a caller could change a list the
// package relies on (the default excludes, the CA variables). Lists are
// returned fresh by functions; constants stay constants.
func TestNoExportedPackageVars(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "tools") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if n.IsExported() {
						t.Errorf("%s: exported package variable %s: make it a function or unexported", fset.Position(n.Pos()), n.Name)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Users never read the project's internal words: "seed" names the problem
// statements the project started from, not anything a user has. Checked in
// every Go string literal (help text, error messages, generated YAML) and
// in the README, docs/ and examples/. bench/ (a developer's harness) and
// tests are exempt.
func TestNoInternalWordsInUserText(t *testing.T) {
	word := regexp.MustCompile(`(?i)\bseed`)
	check := func(path string, pos token.Position, text string) {
		if loc := word.FindStringIndex(text); loc != nil {
			line := strings.Count(text[:loc[0]], "\n")
			where := fmt.Sprintf("%s:%d", path, 1+line)
			if pos.IsValid() {
				where = fmt.Sprintf("%s:%d", path, pos.Line+line)
			}
			t.Errorf("%s: user-facing text says %q: say what it is instead", where, text[loc[0]:min(len(text), loc[1]+8)])
		}
	}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "tools" || name == "bench") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(path, "_test.go"):
		case strings.HasSuffix(path, ".go"):
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					check(path, fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
		case path == "README.md" || strings.HasPrefix(path, "docs/") || strings.HasPrefix(path, "examples/"):
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			check(path, token.Position{}, string(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every relative link in the README, docs/ and examples/ reaches a file,
// and every #anchor a heading of that file (GitHub's slugs).
func TestDocLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	var pages []string
	for _, glob := range []string{"*.md", "docs/*.md", "docs/reference/*.md", "examples/*/*.md"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, m...)
	}
	if len(pages) < 10 {
		t.Fatalf("found only %d markdown pages: %v", len(pages), pages)
	}
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: link %s: no such file %s", page, target, path)
				continue
			}
			if anchor != "" && strings.HasSuffix(path, ".md") && !slices.Contains(headingSlugs(t, path), anchor) {
				t.Errorf("%s: link %s: %s has no heading #%s", page, target, path, anchor)
			}
		}
	}
}

// headingSlugs returns the anchors GitHub gives a markdown file's headings.
func headingSlugs(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	fence := false
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if fence || !strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#"))) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		slugs = append(slugs, b.String())
	}
	return slugs
}
