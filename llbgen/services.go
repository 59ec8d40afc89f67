package llbgen

import (
	"fmt"
	"path"

	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

// ServicesEnvPath is where the test of a gate with services finds their
// env: KEY='value' lines (DATABASE_URL='postgresql://…:40123/…'), written
// per run by stagebuild and sourced by the test wrapper. It is a secret
// mount: its content, which holds the run's ports, is in no cache key.
const ServicesEnvPath = "/run/stagebuild/services.env"

// ServicesDir holds, in the test of a gate with services, each service's
// image mounted read-only at ServicesDir/<name>: that puts the images'
// content in the gate's cache key.
const ServicesDir = "/.stagebuild/services"

// ServicesConfigEnv is set on the test of a gate with services to the
// digest of their configuration (plan.Plan.ServicesDigest), so a change
// of command, env, ports or readiness runs the test again.
const ServicesConfigEnv = "STAGEBUILD_SERVICES_CONFIG"

// ServicesSecretID is the session secret that serves a gate's
// ServicesEnvPath.
func ServicesSecretID(gate string) string { return "stagebuild-services-" + gate }

// servicesPrelude exports the services' env before the test wrapper runs.
const servicesPrelude = `if [ -r ` + ServicesEnvPath + ` ]; then set -a; . ` + ServicesEnvPath + `; set +a; fi
`

// serviceGen is what the graph needs to know about services.
type serviceGen struct {
	pl   *plan.Plan
	opts Options
}

// Service returns the image a planned service runs, and its config.
func (g *Graph) Service(name string) (llb.State, ocispecs.Image, error) {
	svc := g.svc.pl.Service(name)
	if svc == nil {
		return llb.State{}, ocispecs.Image{}, fmt.Errorf("service %s is not planned", name)
	}
	if svc.Stage != "" {
		st := g.stages[svc.Stage]
		if st == nil {
			return llb.State{}, ocispecs.Image{}, fmt.Errorf("service %s: stage %s is not generated before its gates", name, svc.Stage)
		}
		return st.State, cloneImage(st.Config), nil
	}
	b, ok := g.svc.opts.Bases[svc.Image]
	if !ok {
		b = BaseImage{Ref: svc.Image}
	}
	cfg := cloneImage(b.Config)
	cfg.Platform = g.platform
	mode := llb.ResolveModeDefault
	if g.svc.opts.Pull {
		mode = llb.ResolveModeForcePull
	}
	st := llb.Image(b.Ref, llb.Platform(g.platform), mode, llb.WithCustomName(fmt.Sprintf("[service %s] FROM %s", name, svc.Image)))
	return st, cfg, nil
}

// serviceOptions are the run options of a gate's test for its services:
// the env file (a secret), the config digest and the services' images.
func (g *Graph) serviceOptions(ps *plan.Stage) ([]llb.RunOption, error) {
	if len(ps.Services) == 0 {
		return nil, nil
	}
	// Not optional: a test run without its services' env must fail, not
	// record a verdict.
	ro := []llb.RunOption{
		llb.AddSecret(ServicesEnvPath, llb.SecretID(ServicesSecretID(ps.Name)), llb.SecretFileOpt(0, 0, 0o444)),
		llb.AddEnv(ServicesConfigEnv, g.svc.pl.ServicesDigest(ps)),
	}
	if env, ok := g.svc.opts.ServicesEnv[ps.Name]; ok {
		// A file, not a secret: its content (the run's ports) is then in
		// the test's cache key.
		f := llb.Scratch().File(llb.Mkfile("services.env", 0o444, env), llb.WithCustomName("[internal] services env of "+ps.Name))
		ro[0] = llb.AddMount(ServicesEnvPath, f, llb.SourcePath("services.env"), llb.Readonly)
	}
	for _, name := range ps.Services {
		st, _, err := g.Service(name)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", ps.Name, err)
		}
		ro = append(ro, llb.AddMount(path.Join(ServicesDir, name), st, llb.Readonly))
	}
	return ro, nil
}
