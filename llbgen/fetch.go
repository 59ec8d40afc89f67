package llbgen

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// fetch writes a fetch step's file into st as the Dockerfile frontend does
// ADD --checksum=… URL DEST: an http source pinned by the checksum (which
// alone keys it, so a cached build fetches nothing, and the daemon fetches
// it beside the base image's pull), copied to DEST with the step's owner
// and mode (the http source's own mode, 0600, otherwise).
func fetch(st llb.State, cfg ocispecs.Image, step plan.Step, name string, nocache []llb.ConstraintsOpt) (llb.State, error) {
	dgst, err := digest.Parse(step.Checksum)
	if err != nil {
		return st, fmt.Errorf("fetch %s (%s): checksum %q: %w", step.URL, step.Source, step.Checksum, err)
	}
	file := plan.FetchName(step.URL)
	hopts := []llb.HTTPOption{llb.Filename(file), llb.Checksum(dgst), llb.WithCustomName(fmt.Sprintf("[fetch] %s", step.URL))}
	for _, o := range nocache { // --no-cache fetches again too
		hopts = append(hopts, o.(llb.HTTPOption))
	}
	src := llb.HTTP(step.URL, hopts...)
	ci, err := copyInfo(plan.Step{Chown: step.Chown, Chmod: step.Chmod, Source: step.Source, Src: step.URL})
	if err != nil {
		return st, err
	}
	// As ADD copies a URL: one file, no wildcards or directory contents.
	ci = &llb.CopyInfo{Mode: ci.Mode, ChownOpt: ci.ChownOpt, CreateDestPath: true}
	dest := absPath(cfg, step.Dest)
	if strings.HasSuffix(step.Dest, "/") && !strings.HasSuffix(dest, "/") {
		dest += "/" // a directory: the file keeps its name in it
	}
	return st.File(llb.Copy(src, file, dest, ci), append(nocache, llb.WithCustomName(name))...), nil
}
