package pipeline

import (
	"reflect"
	"strings"
	"testing"
)

const sum = "sha256:7cc9c41b43d583e34c781fd3446405b06e9c5fa2db468ce2a534d353db6429e5"

func TestParseFetch(t *testing.T) {
	p, err := Parse("p.yaml", []byte(`stages:
  a:
    from: alpine:3
    copy:
      - {url: "https://example.com/x/tool.whl", checksum: `+sum+`, to: /tmp/tool.whl, platform: linux/x86_64}
      - {url: "https://example.com/y/tool.whl", checksum: `+sum+`, to: /tmp/tool.whl, platform: [linux/arm64/v8, linux/arm/v7]}
      - {url: "http://example.com/z.tgz", checksum: `+sum+`, to: /opt/, chmod: 755}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Stage("a").Copy
	if c[0].URL.Value != "https://example.com/x/tool.whl" || c[0].Checksum.Value != sum || c[0].To.Value != "/tmp/tool.whl" || c[0].Src.Value != "" {
		t.Errorf("copy[0] = %+v", c[0])
	}
	var plats []string
	for _, cp := range c {
		for _, p := range cp.Platforms {
			plats = append(plats, p.Value)
		}
	}
	// Normalized: x86_64 is amd64, arm64's v8 is implied.
	if want := []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}; !reflect.DeepEqual(plats, want) {
		t.Errorf("platforms = %q, want %q", plats, want)
	}
	if c[2].Chmod.Value != "0755" || len(c[2].Platforms) != 0 {
		t.Errorf("copy[2] = %+v", c[2])
	}
	if got := FetchName(c[2].URL.Value); got != "z.tgz" {
		t.Errorf("FetchName = %q", got)
	}
}

func TestParseFetchErrors(t *testing.T) {
	const head = "stages:\n  uv:\n    from: alpine:3\n    copy:\n"
	good := "url: https://example.com/uv.whl, checksum: " + sum
	tests := []struct{ name, yaml, want string }{
		{"no checksum", head + "      - {url: https://example.com/uv.whl, to: /tmp/uv.whl}\n",
			`p.yaml:5:15: url of a copy of stage "uv" has no checksum: (add checksum: sha256:<64 hex digits> of the file, as sha256sum prints it)`},
		{"short checksum", head + "      - {url: https://example.com/uv.whl, checksum: sha256:abc, to: /tmp/uv.whl}\n",
			`p.yaml:5:53: checksum of a copy of stage "uv": "sha256:abc" is not sha256:<64 lowercase hex digits> (write it like sha256:` + strings.Repeat("0", 64) + `)`},
		{"md5 checksum", head + "      - {url: https://example.com/uv.whl, checksum: \"md5:" + strings.Repeat("a", 32) + "\", to: /tmp/uv.whl}\n",
			`p.yaml:5:53: checksum of a copy of stage "uv": "md5:` + strings.Repeat("a", 32) + `" is not sha256:<64 lowercase hex digits> (write it like sha256:` + strings.Repeat("0", 64) + `)`},
		{"ftp", head + "      - {url: ftp://example.com/uv.whl, checksum: " + sum + ", to: /tmp/uv.whl}\n",
			`p.yaml:5:15: url of a copy of stage "uv": "ftp://example.com/uv.whl" is not an http or https URL (write it like https://example.com/file.tar.gz)`},
		{"no host", head + "      - {url: \"https:///uv.whl\", checksum: " + sum + ", to: /tmp/uv.whl}\n",
			`p.yaml:5:15: url of a copy of stage "uv": "https:///uv.whl" is not an http or https URL (write it like https://example.com/file.tar.gz)`},
		{"no to", head + "      - {" + good + "}\n",
			`p.yaml:5:15: url of a copy of stage "uv" has no to: (name the file to write, such as /tmp/uv.whl, or a directory ending in /)`},
		{"src and url", head + "      - {src: app, " + good + ", to: /x}\n",
			`p.yaml:5:15: a copy of stage "uv" has both src: and url: (fetch a url, or copy a src, in separate entries)`},
		{"checksum without url", head + "      - {src: app, checksum: " + sum + "}\n",
			`p.yaml:5:30: checksum in a copy of stage "uv" needs url: (a checksum pins a fetched file)`},
		{"platform without url", head + "      - {src: app, platform: linux/amd64}\n",
			`p.yaml:5:30: platform in a copy of stage "uv" needs url: (only a fetched file has per-platform variants)`},
		{"bad platform", head + "      - {" + good + ", to: /tmp/uv.whl, platform: amd64}\n",
			`p.yaml:5:153: platform in copy of stage "uv": "amd64" is not a platform (write os/arch, such as linux/amd64 or linux/arm64)`},
		{"two variants for one platform", head + "      - {" + good + ", to: /tmp/uv.whl, platform: linux/amd64}\n" +
			"      - {" + good + ", to: /tmp/uv.whl, platform: [linux/arm64, linux/x86_64]}\n",
			`p.yaml:6:167: platform of a copy of stage "uv": /tmp/uv.whl is already fetched for linux/amd64 by the entry at p.yaml:5:9 (give each platform one url)`},
		{"a variant and a plain fetch", head + "      - {" + good + ", to: /tmp/uv.whl, platform: linux/amd64}\n" +
			"      - {" + good + ", to: /tmp/uv.whl}\n",
			`p.yaml:6:15: url of a copy of stage "uv": /tmp/uv.whl is already fetched by the entry at p.yaml:5:9 (give each variant of a file its platform:, such as linux/amd64)`},
		{"exclude", head + "      - {" + good + ", to: /tmp/, exclude: [a]}\n",
			`p.yaml:5:147: exclude in a copy of stage "uv" with url: (a fetched url is one file; drop exclude:)`},
		{"from", "stages:\n  b:\n    from: alpine:3\n  uv:\n    from: alpine:3\n    copy:\n      - {" + good + ", to: /tmp/, from: b}\n",
			`p.yaml:7:143: from in a copy of stage "uv" with url: (a url is fetched, not read from a stage; drop from:)`},
		{"unknown key", head + "      - {" + good + ", to: /tmp/, sha256: x}\n",
			`p.yaml:5:137: unknown key "sha256" in an entry of copy of stage "uv"`},
	}
	parseErrors(t, tests)
}
