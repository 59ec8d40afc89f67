package manifest

import (
	"reflect"
	"testing"
	"testing/fstest"
)

func TestGoMod(t *testing.T) {
	fsys := fixture(t, "go")
	m := detectOne(t, fsys, "test") // groups do not matter for Go
	if m.Ecosystem != GoMod || m.Install != "go mod download" || !reflect.DeepEqual(m.Caches, []string{"/go/pkg/mod", "/root/.cache/go-build"}) {
		t.Errorf("manifest: %+v", m)
	}
	if want := []string{"go.mod", "go.sum", "shared/go.mod"}; !reflect.DeepEqual(m.Files, want) {
		t.Errorf("files = %q, want %q", m.Files, want)
	}
	if want := []string{"example.com/shared", "github.com/google/uuid", "golang.org/x/sync", "gopkg.in/yaml.v3"}; !reflect.DeepEqual(m.Packages, want) {
		t.Errorf("packages = %q, want %q", m.Packages, want)
	}
	delete(fsys, "go.sum")
	delete(fsys, "shared/go.mod")
	_, err := Detect(fsys, ".", DetectOptions{})
	if err == nil || err.Error() != "go.mod:15: replace => ./shared: no such file shared/go.mod (add the module to the build context, or drop the replace)" {
		t.Errorf("missing replacement: error = %v", err)
	}
}

func TestGoModErrors(t *testing.T) {
	for data, want := range map[string]string{
		"module a\n\nrequire (\n\tb.example/x v1.0.0\n":    "go.mod: require ( block is not closed (add a line with ))",
		"module a\nrequire b.example/x\n":                  "go.mod:2: malformed require (write: require module/path v1.2.3)",
		"module a\nreplace b.example/x => ../../outside\n": "go.mod:2: replace => ../../outside: outside the build context (keep replaced modules inside the context directory)",
		"module a\nreplace b.example/x =>\n":               "go.mod:2: malformed replace (write: replace old => new v1.2.3, or => ../dir)",
	} {
		_, err := Detect(fstest.MapFS{"go.mod": {Data: []byte(data)}}, ".", DetectOptions{})
		if err == nil || err.Error() != want {
			t.Errorf("%q: error = %v, want %q", data, err, want)
		}
	}
	m := detectOne(t, fstest.MapFS{"go.mod": {Data: []byte("module a\n\nrequire \"b.example/q\" v1.0.0 // quoted\nreplace b.example/q => b.example/r v1.1.0\n")}})
	if !reflect.DeepEqual(m.Packages, []string{"b.example/q"}) || !reflect.DeepEqual(m.Files, []string{"go.mod"}) {
		t.Errorf("manifest: %+v", m)
	}
}
