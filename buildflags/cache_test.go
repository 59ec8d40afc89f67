package buildflags

import (
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
