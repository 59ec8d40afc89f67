package buildflags

import (
	"testing"

	"github.com/containerd/platforms"
)

func TestParsePlatforms(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
		err  string
	}{
		{in: nil, want: ""},
		{in: []string{"linux/amd64,linux/arm64"}, want: "linux/amd64 linux/arm64"},
		{in: []string{"linux/amd64", "linux/arm64/v8", "linux/arm/v7"}, want: "linux/amd64 linux/arm64 linux/arm/v7"},
		{in: []string{"arm64"}, want: "linux/arm64"},
		{in: []string{"linux/amd64,"}, err: `--platform "linux/amd64,": empty platform (write OS/ARCH[/VARIANT], for example linux/amd64,linux/arm64)`},
		{in: []string{"nope"}, err: `--platform "nope": not a platform (write OS/ARCH[/VARIANT], for example linux/arm64)`},
		{in: []string{"linux/arm64", "linux/arm64/v8"}, err: `--platform: linux/arm64 is named twice`},
	} {
		got, err := ParsePlatforms(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err = %v, want %s", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		var s string
		for i, p := range got {
			if i > 0 {
				s += " "
			}
			s += platforms.FormatAll(p)
		}
		if s != c.want {
			t.Errorf("%q = %q, want %q", c.in, s, c.want)
		}
	}
}
