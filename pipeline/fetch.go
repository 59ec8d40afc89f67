package pipeline

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/containerd/platforms"
	yaml "go.yaml.in/yaml/v3"
)

// A copy with url: fetches one file over http(s) into the stage, as a
// Dockerfile's ADD --checksum=sha256:… URL DEST does: the daemon fetches it
// (beside the base image's pull), the checksum is checked, and it alone
// keys the layer. Its platform: entries make it one variant of a file that
// differs per platform (a wheel per architecture): a build uses the entries
// of its platform, and the plan refuses a platform a stage has none for.

var checksumSpec = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// copyPlatforms reads a copy's platform: one platform or a list, each
// normalized (linux/x86_64 is linux/amd64).
func (ps *parser) copyPlatforms(cp *Copy, n *yaml.Node, what string) error {
	var vals []Value
	if n.Kind == yaml.ScalarNode {
		v, err := ps.scalar(n, what)
		if err != nil {
			return err
		}
		vals = []Value{v}
	} else {
		var err error
		if vals, err = ps.scalars(n, what); err != nil {
			return err
		}
	}
	for _, v := range vals {
		v, err := ps.subst(v, what, false)
		if err != nil {
			return err
		}
		p, err := platforms.Parse(v.Value)
		if err != nil || !strings.Contains(v.Value, "/") {
			return errorf(v.Pos, "%s: %q is not a platform (write os/arch, such as linux/amd64 or linux/arm64)", what, v.Value)
		}
		v.Value = platforms.FormatAll(platforms.Normalize(p))
		cp.Platforms = append(cp.Platforms, v)
	}
	if len(cp.Platforms) == 0 {
		return errorf(ps.pos(n), "%s is empty (name the platforms the url is for, or drop platform:)", what)
	}
	return nil
}

// validateFetch checks a copy with url: (or with its keys but no url:).
func validateFetch(s *Stage, c *Copy) error {
	if !isSet(c.URL) {
		if isSet(c.Checksum) {
			return errorf(c.Checksum.Pos, "checksum in a copy of stage %q needs url: (a checksum pins a fetched file)", s.Name)
		}
		if len(c.Platforms) > 0 {
			return errorf(c.Platforms[0].Pos, "platform in a copy of stage %q needs url: (only a fetched file has per-platform variants)", s.Name)
		}
		return nil
	}
	where := fmt.Sprintf("a copy of stage %q", s.Name)
	switch {
	case isSet(c.Src) || c.Src.Value != "":
		return errorf(c.Src.Pos, "%s has both src: and url: (fetch a url, or copy a src, in separate entries)", where)
	case isSet(c.From):
		return errorf(c.From.Pos, "from in %s with url: (a url is fetched, not read from a stage; drop from:)", where)
	case len(c.Exclude) > 0:
		return errorf(c.Exclude[0].Pos, "exclude in %s with url: (a fetched url is one file; drop exclude:)", where)
	}
	u, err := url.Parse(c.URL.Value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errorf(c.URL.Pos, "url of %s: %q is not an http or https URL (write it like https://example.com/file.tar.gz)", where, c.URL.Value)
	}
	if !isSet(c.Checksum) {
		return errorf(c.URL.Pos, "url of %s has no checksum: (add checksum: sha256:<64 hex digits> of the file, as sha256sum prints it)", where)
	}
	if !checksumSpec.MatchString(c.Checksum.Value) {
		return errorf(c.Checksum.Pos, "checksum of %s: %q is not sha256:<64 lowercase hex digits> (write it like sha256:%s)",
			where, c.Checksum.Value, strings.Repeat("0", 64))
	}
	if !isSet(c.To) || c.To.Value == "" {
		return errorf(c.URL.Pos, "url of %s has no to: (name the file to write, such as /tmp/%s, or a directory ending in /)", where, FetchName(c.URL.Value))
	}
	return nil
}

// validateFetchVariants checks that the url entries of a stage that write
// the same file are its per-platform variants: each names its platforms, and
// no platform has two.
func validateFetchVariants(s *Stage) error {
	first := map[string]*Copy{}    // to → the first url entry writing it
	owner := map[[2]string]*Copy{} // {to, platform} → its entry
	for i := range s.Copy {
		c := &s.Copy[i]
		if !isSet(c.URL) {
			continue
		}
		prev := first[c.To.Value]
		if prev == nil {
			first[c.To.Value] = c
		} else if len(c.Platforms) == 0 || len(prev.Platforms) == 0 {
			return errorf(c.URL.Pos, "url of a copy of stage %q: %s is already fetched by the entry at %s (give each variant of a file its platform:, such as linux/amd64)",
				s.Name, c.To.Value, prev.Pos)
		}
		for _, p := range c.Platforms {
			k := [2]string{c.To.Value, p.Value}
			if o := owner[k]; o != nil {
				return errorf(p.Pos, "platform of a copy of stage %q: %s is already fetched for %s by the entry at %s (give each platform one url)",
					s.Name, c.To.Value, p.Value, o.Pos)
			}
			owner[k] = c
		}
	}
	return nil
}

// FetchName is the name a fetched URL's file gets (in a to: directory):
// its path's last element, or __unnamed__, as a Dockerfile's ADD names it.
func FetchName(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if base := path.Base(u.Path); base != "." && base != "/" {
			return base
		}
	}
	return "__unnamed__"
}
