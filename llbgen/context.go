package llbgen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
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
	// common is what every source shares, the plan's excludes
	// marshalled once for all (nil before the first source).
	common *localCommon
	// llbOps makes the sources with llb.Local (Options.llbOps).
	llbOps bool
}

// excludePatterns sets a local source's exclude patterns as
// llb.ExcludePatterns does, from patterns already in its JSON form.
type excludePatterns string

func (e excludePatterns) SetLocalOption(li *llb.LocalInfo) { li.ExcludePatterns = string(e) }

func (c *contextSources) forCopy(src string) llb.State {
	if st, ok := c.bySrc[src]; ok {
		return st
	}
	if c.common == nil {
		c.common = &localCommon{hint: c.hint, session: c.session}
		if ex := c.pl.Context.Excludes; len(ex) > 0 {
			dt, _ := json.Marshal(ex) // as llb.ExcludePatterns: empty on error
			c.common.excludes = string(dt)
		}
	}
	var st llb.State
	if c.llbOps {
		st = llbLocal(c.common.attrs(src), "[context] "+src)
	} else {
		// The attributes are made when it is marshalled, beside the
		// generation (warm.go).
		st = llb.NewState(&localSource{name: ContextName, src: src, common: c.common})
	}
	c.bySrc[src] = st
	return st
}

// localCommon is what the context's sources share: the shared key hint's
// prefix, the excludes in their JSON form and the session.
type localCommon struct {
	hint, excludes, session string
}

// attrs are the attributes of the source of src but local.unique: as
// llb.Local sets them for the options forCopy used to give it.
func (lc *localCommon) attrs(src string) map[string]string {
	sum := sha256.Sum256([]byte(src))
	attrs := map[string]string{pb.AttrSharedKeyHint: lc.hint + ":" + hex.EncodeToString(sum[:6])}
	if lc.excludes != "" {
		attrs[pb.AttrExcludePatterns] = lc.excludes
	}
	if src != "." {
		// fsutil's include pattern "." matches nothing: the whole
		// context is sent without one.
		dt, _ := json.Marshal([]string{src})
		attrs[pb.AttrIncludePatterns] = string(dt)
	}
	if lc.session != "" {
		attrs[pb.AttrLocalSessionID] = lc.session
	}
	return attrs
}

// llbLocal is llb.Local's state for the attributes forCopy sets: what
// localSource must give (Options.llbOps).
func llbLocal(attrs map[string]string, name string) llb.State {
	opts := []llb.LocalOption{llb.SharedKeyHint(attrs[pb.AttrSharedKeyHint]), llb.WithCustomName(name)}
	if ex, ok := attrs[pb.AttrExcludePatterns]; ok {
		opts = append(opts, excludePatterns(ex))
	}
	if inc, ok := attrs[pb.AttrIncludePatterns]; ok {
		opts = append(opts, includePatterns(inc))
	}
	if s, ok := attrs[pb.AttrLocalSessionID]; ok {
		opts = append(opts, llb.SessionID(s))
	}
	return llb.Local(ContextName, opts...)
}

// includePatterns sets a local source's include patterns from their JSON
// form, as llb.IncludePatterns does.
type includePatterns string

func (e includePatterns) SetLocalOption(li *llb.LocalInfo) { li.IncludePatterns = string(e) }

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
