package llbgen

import (
	"fmt"
	"path"
	"strings"

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
// image mounted read-only at ServicesDir/<name>: that puts the images in
// the gate's cache key. Their cache keys, not a hash of their files: a
// read-only mount's default is a content hash of the whole image, which
// BuildKit computes before the test starts whenever the image is new (the
// service image under test, on every source edit), seconds of the gate's
// time spent reading every file of the image.
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

// ServicesEnvProxyVar is, in a frontend's build, the variable that carries
// a gate's services env to its test: BuildKit's proxy env (pb.ProxyEnv),
// which the solver leaves out of the exec's cache key, as a session secret
// is. A frontend serves no session secret, and any mount or plain env var
// would put the run's ports in the key, so the test would run again on
// every build. The value is a shell script (servicesEnvScript) that the
// test's prelude evaluates: it restores the variable's own value, then
// sets the services env. A proxy variable's value is visible in the LLB
// (the daemon's build history), as a mounted file's content would be; it
// holds the pipeline's service env and the run's ports, no secret.
const ServicesEnvProxyVar = "FTP_PROXY"

// servicesEnvMark starts a servicesEnvScript.
const servicesEnvMark = "# stagebuild services env"

// frontendServicesPrelude evaluates the services env a frontend passes in
// ServicesEnvProxyVar, and fails the step (no verdict is recorded, nothing
// is cached) when it is not there.
const frontendServicesPrelude = `case "${` + ServicesEnvProxyVar + `-}" in
"` + servicesEnvMark + `"*) set -a; eval "$` + ServicesEnvProxyVar + `"; set +a ;;
*) echo "stagebuild: the services env is not set (` + ServicesEnvProxyVar + ` was overridden by the image?)" >&2; exit 1 ;;
esac
`

// servicesEnvScript is the value of ServicesEnvProxyVar for env (the
// services env file's KEY='value' lines): it unsets the variable, or sets
// it back to the build's own FTP proxy, then sets env.
func servicesEnvScript(proxy *llb.ProxyEnv, env []byte) string {
	var b strings.Builder
	b.WriteString(servicesEnvMark + "\n")
	lower := strings.ToLower(ServicesEnvProxyVar)
	b.WriteString("unset " + ServicesEnvProxyVar + " " + lower + "\n")
	if proxy != nil && proxy.FTPProxy != "" {
		q := "'" + strings.ReplaceAll(proxy.FTPProxy, "'", `'\''`) + "'"
		b.WriteString(ServicesEnvProxyVar + "=" + q + "; " + lower + "=" + q + "\n")
	}
	b.Write(env)
	return b.String()
}

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
	st := image(b.Ref, g.platform, g.svc.opts.Pull, fmt.Sprintf("[service %s] FROM %s", name, svc.Image), g.localID)
	return st, cfg, nil
}

// serviceOptions are the run options of a gate's test for its services:
// the env file (a secret, or a frontend's proxy env), the config digest and
// the services' images. They come after the graph's exec options, so a
// frontend's proxy env replaces theirs (keeping its values).
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
		// A frontend's: in the proxy env, which no cache key holds.
		pe := llb.ProxyEnv{}
		if p := g.svc.opts.Proxy; p != nil {
			pe = *p
		}
		pe.FTPProxy = servicesEnvScript(g.svc.opts.Proxy, env)
		ro[0] = llb.WithProxy(pe)
	}
	for _, name := range ps.Services {
		st, _, err := g.Service(name)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", ps.Name, err)
		}
		ro = append(ro, llb.AddMount(path.Join(ServicesDir, name), st, llb.Readonly, llb.ContentCache(llb.MountContentCacheOff)))
	}
	return ro, nil
}
