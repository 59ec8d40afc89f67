package build

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/moby/buildkit/client"
)

func TestParseCacheOption(t *testing.T) {
	tests := []struct {
		spec   string
		export bool
		want   client.CacheOptionsEntry
		err    string
	}{
		{"reg.example/app:cache", false, client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": "reg.example/app:cache"}}, ""},
		{"type=registry,ref=app,mode=max", true, client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": "docker.io/library/app:latest", "mode": "max"}}, ""},
		{"type=local,dest=c", true, client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"dest": "c"}}, ""},
		{"type=inline", true, client.CacheOptionsEntry{Type: "inline", Attrs: map[string]string{}}, ""},
		{"type=local,src=c", true, client.CacheOptionsEntry{}, `--cache-to "type=local,src=c": type=local needs dest=DIR`},
		{"type=registry", false, client.CacheOptionsEntry{}, `--cache-from "type=registry": ref: invalid reference format (write type=registry,ref=registry.example.com/app:cache)`},
		{"ref=x", false, client.CacheOptionsEntry{}, `--cache-from "ref=x": missing type= (one of registry, local, inline)`},
		{"type=s3,bucket=b", true, client.CacheOptionsEntry{}, `--cache-to "type=s3,bucket=b": unsupported cache type "s3" (use one of registry, local, inline)`},
	}
	for _, tc := range tests {
		got, err := ParseCacheOption(tc.spec, tc.export)
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %s", tc.spec, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.spec, err)
		case !reflect.DeepEqual(got, tc.want):
			t.Errorf("%s: %+v, want %+v", tc.spec, got, tc.want)
		}
	}
}

// Several targets never share one cache entry: each exports its own and
// imports everyone's.
func TestCacheForTarget(t *testing.T) {
	entries := []client.CacheOptionsEntry{
		{Type: "registry", Attrs: map[string]string{"ref": "r/app:cache", "mode": "max"}},
		{Type: "local", Attrs: map[string]string{"dest": "d"}},
	}
	all := []string{"service", "localdev"}
	exp := cacheForTarget(entries, "service", all, true)
	if len(exp) != 2 || exp[0].Attrs["ref"] != "r/app:cache-service" || exp[1].Attrs["tag"] != "latest-service" || exp[0].Attrs["mode"] != "max" {
		t.Errorf("exports: %+v", exp)
	}
	imp := cacheForTarget(entries[:1], "service", all, false)
	if len(imp) != 2 || imp[0].Attrs["ref"] != "r/app:cache-service" || imp[1].Attrs["ref"] != "r/app:cache-localdev" {
		t.Errorf("imports: %+v", imp)
	}
	if entries[0].Attrs["ref"] != "r/app:cache" {
		t.Errorf("the caller's entry was modified: %+v", entries[0])
	}
	if one := cacheForTarget(entries, "service", all[:1], true); !reflect.DeepEqual(one, entries) {
		t.Errorf("a single target changed its entries: %+v", one)
	}
}

// A local cache that does not exist yet (the first CI run) is skipped.
func TestPresentImports(t *testing.T) {
	dir := t.TempDir()
	idx := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:` +
		"aa00000000000000000000000000000000000000000000000000000000000000" + `","size":1,"annotations":{"org.opencontainers.image.ref.name":"latest-service"}}]}`
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(idx), 0o644); err != nil {
		t.Fatal(err)
	}
	in := []client.CacheOptionsEntry{
		{Type: "local", Attrs: map[string]string{"src": dir, "tag": "latest-service"}},
		{Type: "local", Attrs: map[string]string{"src": dir, "tag": "latest-localdev"}},
		{Type: "local", Attrs: map[string]string{"src": filepath.Join(dir, "missing")}},
		{Type: "registry", Attrs: map[string]string{"ref": "r/app:cache"}},
	}
	got := presentImports(in)
	if len(got) != 2 || got[0].Attrs["tag"] != "latest-service" || got[1].Type != "registry" {
		t.Errorf("present imports: %+v", got)
	}
}
