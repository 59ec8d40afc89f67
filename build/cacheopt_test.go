package build

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/moby/buildkit/client"
)

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
