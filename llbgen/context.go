package llbgen

import (
	"encoding/json"
	"path"
	"strings"

	"github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// contextSources gives each copy a view of the build context that carries
// only the path it copies. Copies of the same path share one source (and so
// one copy layer, the same blob in every image that has it); each path has
// its own shared key, so a file sent once is not sent again for it.
type contextSources struct {
	pl      *plan.Plan
	hint    string
	session string
	bySrc   map[string]llb.State
	// excludes is llb.ExcludePatterns of the plan's excludes, marshalled
	// once for every source rather than once per source.
	excludes llb.LocalOption
}

// excludePatterns sets a local source's exclude patterns as
// llb.ExcludePatterns does, from patterns already in its JSON form.
type excludePatterns string

func (e excludePatterns) SetLocalOption(li *llb.LocalInfo) { li.ExcludePatterns = string(e) }

func (c *contextSources) forCopy(src string) llb.State {
	if st, ok := c.bySrc[src]; ok {
		return st
	}
	if c.excludes == nil {
		c.excludes = llb.ExcludePatterns(nil)
		if ex := c.pl.Context.Excludes; len(ex) > 0 {
			dt, _ := json.Marshal(ex) // as llb.ExcludePatterns: empty on error
			c.excludes = excludePatterns(dt)
		}
	}
	opts := []llb.LocalOption{
		c.excludes,
		llb.SharedKeyHint(c.hint + ":" + digest.FromString(src).Encoded()[:12]),
		llb.WithCustomName("[context] " + src),
	}
	if src != "." {
		// fsutil's include pattern "." matches nothing: the whole
		// context is sent without one.
		opts = append(opts, llb.IncludePatterns([]string{src}))
	}
	if c.session != "" {
		opts = append(opts, llb.SessionID(c.session))
	}
	st := llb.Local(ContextName, opts...)
	c.bySrc[src] = st
	return st
}

// absPath resolves a destination against the stage's workdir, as a
// Dockerfile COPY or RUN would.
func absPath(cfg ocispecs.Image, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	dir := cfg.Config.WorkingDir
	if dir == "" {
		dir = "/"
	}
	if strings.HasSuffix(p, "/") {
		return path.Join(dir, p) + "/"
	}
	return path.Join(dir, p)
}
