package plan

import (
	"os"
	"regexp"
	"strings"

	"github.com/stagebuild/stagebuild/pipeline"
)

var portRef = regexp.MustCompile(`\$\{services\.([a-z0-9][a-z0-9_-]*)\.ports\.([A-Za-z0-9][A-Za-z0-9_-]*)\}`)

// ExpandServices replaces every ${services.NAME.ports.PORT} in a planned
// env value with port(NAME, PORT).
func ExpandServices(s string, port func(service, port string) string) string {
	return portRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := portRef.FindStringSubmatch(m)
		return port(sub[1], sub[2])
	})
}

// normalizeRefs rewrites ${services.NAME.port} to the port's full form and
// ${services.NAME.host} to the address, so a run only fills in ports.
func normalizeRefs(p *pipeline.Pipeline, v string) string {
	for _, ref := range pipeline.ServiceRefs(v) {
		svc := p.Service(ref.Service)
		switch {
		case svc == nil:
		case ref.Field == "host":
			v = strings.Replace(v, ref.Text, ServiceHost, 1)
		case ref.Field == "port" && len(svc.Ports) == 1:
			v = strings.Replace(v, ref.Text, "${services."+svc.Name+".ports."+svc.Ports[0].Name+"}", 1)
		}
	}
	return v
}

// splitServiceEnv moves the env entries that read a service, or an entry
// moved before them, out of a gate's config.
func splitServiceEnv(p *pipeline.Pipeline, env []EnvVar) (keep, moved []EnvVar) {
	out := map[string]bool{}
	for _, e := range env {
		refers := len(pipeline.ServiceRefs(e.Value)) > 0
		os.Expand(e.Value, func(name string) string {
			refers = refers || out[name]
			return ""
		})
		if refers {
			out[e.Key] = true
			moved = append(moved, EnvVar{Key: e.Key, Value: normalizeRefs(p, e.Value)})
		} else {
			keep = append(keep, e)
		}
	}
	return keep, moved
}
