package pipeline

import (
	"fmt"
	"strings"
)

// ServiceRef is one ${services.NAME.port}, ${services.NAME.ports.PORT} or
// ${services.NAME.host} in an env value.
type ServiceRef struct {
	// Text is the reference as written, ${…} included.
	Text    string
	Service string
	// Field is "host", "port" (the service's only port) or "ports" (the
	// port named Port).
	Field string
	Port  string
}

// ServiceRefs returns the service references in s, in order. A reference
// that is not well formed is returned with an empty Service.
func ServiceRefs(s string) []ServiceRef {
	var out []ServiceRef
	for _, m := range serviceRef.FindAllStringSubmatch(s, -1) {
		r := ServiceRef{Text: m[0]}
		if n := refInner.FindStringSubmatch(m[1]); n != nil {
			r.Service, r.Field, r.Port = n[1], strings.SplitN(n[2], ".", 2)[0], n[3]
		}
		out = append(out, r)
	}
	return out
}

// checkRefs checks the ${services.…} references of one env entry: each
// names a service among allowed and one of its ports.
func checkRefs(p *Pipeline, e KV, what string, allowed map[string]bool, fix string) error {
	for _, ref := range ServiceRefs(e.Value) {
		at := fmt.Sprintf("%s %s: %s", what, e.Key, ref.Text)
		if ref.Service == "" {
			return errorf(e.Pos, "%s is not a service reference (write ${services.NAME.port}, ${services.NAME.ports.PORT} or ${services.NAME.host})", at)
		}
		svc := p.Service(ref.Service)
		switch {
		case svc == nil:
			return errorf(e.Pos, "%s: unknown service %q%s", at, ref.Service, didYouMean(ref.Service, p.ServiceNames()))
		case !allowed[ref.Service]:
			return errorf(e.Pos, "%s: service %q is not started for it (%s)", at, ref.Service, fix)
		case ref.Field == "port" && len(svc.Ports) != 1:
			return errorf(e.Pos, "%s: service %q has %d ports (%s); write ${services.%s.ports.NAME}", at, ref.Service, len(svc.Ports), portNames(svc), ref.Service)
		case ref.Field == "ports":
			if err := knownPort(svc, Value{Value: ref.Port, Pos: e.Pos}, at); err != nil {
				return err
			}
		}
	}
	return nil
}
