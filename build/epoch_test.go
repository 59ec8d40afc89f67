package build

import (
	"archive/tar"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/llbgen"
)

// Every output type gets the epoch; attrs the user set win, and the
// caller's outputs are left as they were.
func TestWithEpoch(t *testing.T) {
	in := map[string][]buildflags.Output{
		"service": {
			{Type: "oci", Attrs: map[string]string{"dest": "a.tar"}},
			{Type: "docker", Attrs: map[string]string{"dest": "b.tar", "name": "app"}},
			{Type: "image", Attrs: map[string]string{"name": "reg/app", "rewrite-timestamp": "false"}},
		},
		"localdev": {
			{Type: "local", Attrs: map[string]string{"dest": "dir"}},
			{Type: "tar", Attrs: map[string]string{"dest": "fs.tar", "source-date-epoch": "5"}},
		},
	}
	before := map[string][]buildflags.Output{}
	for k, v := range in {
		for _, o := range v {
			o.Attrs = maps.Clone(o.Attrs)
			before[k] = append(before[k], o)
		}
	}
	if got := withEpoch(in, nil); !reflect.DeepEqual(got, in) {
		t.Errorf("without an epoch the outputs changed: %+v", got)
	}
	epoch := time.Unix(1700000000, 0)
	got := withEpoch(in, &epoch)
	if !reflect.DeepEqual(in, before) {
		t.Errorf("withEpoch modified its input: %+v", in)
	}
	want := map[string]map[string]string{
		"a.tar":   {"dest": "a.tar", "source-date-epoch": "1700000000", "rewrite-timestamp": "true"},
		"b.tar":   {"dest": "b.tar", "name": "app", "source-date-epoch": "1700000000", "rewrite-timestamp": "true"},
		"reg/app": {"name": "reg/app", "source-date-epoch": "1700000000", "rewrite-timestamp": "false"},
		"dir":     {"dest": "dir", "source-date-epoch": "1700000000", "rewrite-timestamp": "true"},
		"fs.tar":  {"dest": "fs.tar", "source-date-epoch": "5", "rewrite-timestamp": "true"},
	}
	n := 0
	for _, list := range got {
		for _, o := range list {
			key := o.Attrs["dest"]
			if key == "" {
				key = o.Attrs["name"]
			}
			n++
			if !reflect.DeepEqual(o.Attrs, want[key]) {
				t.Errorf("%s %s: attrs %v, want %v", o.Type, key, o.Attrs, want[key])
			}
		}
	}
	if n != 5 {
		t.Errorf("%d outputs, want 5", n)
	}
}

func TestHostConfigApply(t *testing.T) {
	epoch := time.Unix(1700000000, 0)
	h := HostConfig{CABundle: []byte("PEM"), SourceDateEpoch: &epoch, Provenance: "mode=max",
		Proxy: llb.ProxyEnv{HTTPSProxy: "http://p:1"}}
	user := map[string][]byte{"token": []byte("t")}
	o := h.apply(Options{InternalSecrets: user, Outputs: map[string][]buildflags.Output{"s": {{Type: "oci", Attrs: map[string]string{"dest": "x"}}}}})
	if string(o.InternalSecrets[llbgen.CASecretID]) != "PEM" || string(o.InternalSecrets["token"]) != "t" {
		t.Errorf("internal secrets = %q", o.InternalSecrets)
	}
	if _, leaked := user[llbgen.CASecretID]; leaked {
		t.Error("apply wrote into the caller's secrets map")
	}
	if o.Outputs["s"][0].Attrs["source-date-epoch"] != "1700000000" {
		t.Errorf("outputs = %+v", o.Outputs)
	}
	if fa := h.frontendAttrs(); !reflect.DeepEqual(fa, map[string]string{"build-arg:SOURCE_DATE_EPOCH": "1700000000", "attest:provenance": "mode=max"}) {
		t.Errorf("frontend attrs = %v", fa)
	}
	if p := h.proxy(); p == nil || p.HTTPSProxy != "http://p:1" {
		t.Errorf("proxy = %+v", p)
	}
	var none HostConfig
	if none.hasCA() || none.proxy() != nil || len(none.frontendAttrs()) != 0 || none.frontendAttrs() == nil {
		t.Errorf("zero config: ca=%v proxy=%v attrs=%v", none.hasCA(), none.proxy(), none.frontendAttrs())
	}
	if o := none.apply(Options{}); o.InternalSecrets != nil {
		t.Errorf("zero config added secrets %v", o.InternalSecrets)
	}
}

// A local output keeps the exported mtimes (the epoch), directories too.
func TestExtractTarKeepsMtimes(t *testing.T) {
	epoch := time.Unix(1700000000, 0)
	buf := tarOf(t, []tar.Header{
		{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch},
		{Name: "app/sub/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch},
		{Name: "app/sub/x.py", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: epoch},
		{Name: "app/run.sh", Typeflag: tar.TypeReg, Mode: 0o755, ModTime: epoch},
		{Name: "app/link", Typeflag: tar.TypeSymlink, Linkname: "run.sh", ModTime: epoch},
	}, map[string]string{"app/sub/x.py": "x = 1\n", "app/run.sh": "#!/bin/sh\n"})
	dir := t.TempDir()
	if err := extractTar(buf, dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"app", "app/sub", "app/sub/x.py", "app/run.sh"} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(epoch) {
			t.Errorf("%s: mtime %v, want %v", p, fi.ModTime(), epoch)
		}
	}
}
