package build

import (
	"context"
	"fmt"
	"github.com/stagebuild/stagebuild/manifest"
	"path"
	"sort"
	"strings"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/verify"
)

// purityCheck asserts that the image holds none of the packages and paths
// that the pipeline gives only to the test side of its gates.
func (s *gwSession) purityCheck(ctx context.Context, stage string, ref gateway.Reference, pur *plan.Purity) ([]verify.Failure, error) {
	source := s.r.opts.Plan.Pipeline
	fail := func(format string, args ...any) verify.Failure {
		return verify.Failure{Check: "purity", Message: fmt.Sprintf(format, args...), Source: source}
	}
	var out []verify.Failure
	installed, err := distributions(ctx, ref, s.graph.Stage(stage).Config.Config)
	if err != nil {
		return nil, err
	}
	forbidden := map[string]string{}
	for _, p := range pur.Packages {
		forbidden[p.Name] = "declared in " + p.Manifest
	}
	for _, in := range pur.Installs {
		added, err := s.installedBy(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, name := range added {
			if _, ok := forbidden[name]; !ok {
				forbidden[name] = "installed by stage " + in.Stage
			}
		}
	}
	var found []string
	for at, name := range installed {
		if why, ok := forbidden[name]; ok {
			found = append(found, fmt.Sprintf("test-only package %s (%s) is installed in the image at %s", name, why, at))
		}
	}
	sort.Strings(found)
	for _, f := range found {
		out = append(out, fail("%s", f))
	}
	for _, p := range pur.Paths {
		_, err := ref.StatFile(ctx, gateway.StatRequest{Path: p})
		switch {
		case err == nil:
			out = append(out, fail("%s is copied only into test stages, but the image has it", p))
		case !notExist(err):
			return nil, fmt.Errorf("purity: stat %s: %w", p, err)
		}
	}
	return out, nil
}

// installedBy lists the distributions (dist-info path → name) a test-side
// stage has beyond its parent.
func (s *gwSession) installedBy(ctx context.Context, in plan.Install) (map[string]string, error) {
	sets := make([]map[string]string, 2)
	for i, name := range []string{in.Stage, in.Parent} {
		gs := s.graph.Stage(name)
		if gs == nil {
			return nil, nil
		}
		ref, err := s.solve(ctx, gs.State)
		if err != nil {
			return nil, fmt.Errorf("purity: solving %s: %w", name, err)
		}
		if sets[i], err = distributions(ctx, ref, gs.Config.Config); err != nil {
			return nil, err
		}
	}
	for at := range sets[1] {
		delete(sets[0], at)
	}
	return sets[0], nil
}

// distributions finds the installed Python distributions of an image: the
// *.dist-info directories of every site-packages under the usual prefixes
// and those its PATH and VIRTUAL_ENV point at. It maps each dist-info path
// to the distribution's normalised name.
func distributions(ctx context.Context, ref gateway.Reference, cfg ocispecs.ImageConfig) (map[string]string, error) {
	prefixes := map[string]bool{"/usr/local/lib": true, "/usr/lib": true}
	for _, kv := range cfg.Env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH":
			for _, dir := range strings.Split(v, ":") {
				if path.Base(dir) == "bin" {
					prefixes[path.Join(path.Dir(dir), "lib")] = true
				}
			}
		case "VIRTUAL_ENV":
			prefixes[path.Join(v, "lib")] = true
		}
	}
	found := map[string]string{}
	for prefix := range prefixes {
		pys, err := ref.ReadDir(ctx, gateway.ReadDirRequest{Path: prefix, IncludePattern: "python*"})
		if err != nil {
			continue // no such prefix in this image
		}
		for _, py := range pys {
			for _, sp := range []string{"site-packages", "dist-packages"} {
				dir := path.Join(prefix, path.Base(py.GetPath()), sp)
				ents, err := ref.ReadDir(ctx, gateway.ReadDirRequest{Path: dir, IncludePattern: "*.dist-info"})
				if err != nil {
					continue
				}
				for _, e := range ents {
					base := path.Base(e.GetPath())
					name, _, _ := strings.Cut(strings.TrimSuffix(base, ".dist-info"), "-")
					found[path.Join(dir, base)] = manifest.NormalizeName(name)
				}
			}
		}
	}
	return found, nil
}
