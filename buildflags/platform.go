package buildflags

import (
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ParsePlatforms parses --platform values as buildx does: each value is a
// comma-separated list of OS/ARCH[/VARIANT] ("linux/amd64,linux/arm64"),
// and the flag repeats. The platforms come back normalized (arm64/v8 is
// arm64), in order; a platform named twice is an error. None given is nil:
// the build's default platform.
func ParsePlatforms(values []string) ([]ocispecs.Platform, error) {
	var out []ocispecs.Platform
	seen := map[string]bool{}
	for _, v := range values {
		for _, spec := range strings.Split(v, ",") {
			spec = strings.TrimSpace(spec)
			if spec == "" {
				return nil, fmt.Errorf("--platform %q: empty platform (write OS/ARCH[/VARIANT], for example linux/amd64,linux/arm64)", v)
			}
			p, err := platforms.Parse(spec)
			if err != nil {
				return nil, fmt.Errorf("--platform %q: not a platform (write OS/ARCH[/VARIANT], for example linux/arm64)", spec)
			}
			p = platforms.Normalize(p)
			id := platforms.FormatAll(p)
			if seen[id] {
				return nil, fmt.Errorf("--platform: %s is named twice", id)
			}
			seen[id] = true
			out = append(out, p)
		}
	}
	return out, nil
}
