package pipeline

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

var (
	portName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	// serviceRef finds ${services.…} in an env value.
	serviceRef = regexp.MustCompile(`\$\{services\.([^}]*)\}`)
	refInner   = regexp.MustCompile(`^([a-z0-9][a-z0-9_-]*)\.(host|port|ports\.([A-Za-z0-9][A-Za-z0-9_-]*))$`)
)

// validateServices applies the rules that span services and stages.
func validateServices(p *Pipeline) error {
	names := p.ServiceNames()
	for _, s := range p.Services {
		if err := validateService(p, s, names); err != nil {
			return err
		}
	}
	if err := needsCycle(p); err != nil {
		return err
	}
	for _, s := range p.Stages {
		if err := validateStageServices(p, s, names); err != nil {
			return err
		}
	}
	return serviceStageCycle(p)
}

func validateService(p *Pipeline, s *Service, names []string) error {
	where := fmt.Sprintf("service %q", s.Name)
	switch {
	case isSet(s.Image) && isSet(s.Stage):
		return errorf(s.Stage.Pos, "%s: give image: or stage:, not both", where)
	case isSet(s.Stage):
		st := p.Stage(s.Stage.Value)
		if st == nil {
			return errorf(s.Stage.Pos, "stage of %s: unknown stage %q%s", where, s.Stage.Value, didYouMean(s.Stage.Value, p.StageNames()))
		}
		if st.IsGate() {
			return errorf(s.Stage.Pos, "stage of %s: stage %q is a test stage (a service runs an image stage)", where, s.Stage.Value)
		}
	case isSet(s.Image):
		if _, err := reference.ParseNormalizedNamed(s.Image.Value); err != nil {
			return errorf(s.Image.Pos, "image of %s: invalid image reference %q: %v", where, s.Image.Value, err)
		}
	default:
		return errorf(s.Pos, "%s has neither image: nor stage: (name an image, or a stage of this pipeline)", where)
	}
	for _, n := range s.Needs {
		if p.Service(n.Value) == nil {
			return errorf(n.Pos, "needs of %s: unknown service %q%s", where, n.Value, didYouMean(n.Value, names))
		}
	}
	envs := map[string]string{}
	for _, port := range s.Ports {
		if other, dup := envs[port.Env.Value]; dup {
			return errorf(port.Env.Pos, "ports of %s: ports %q and %q both pass their number in %s (give each port its own env var)",
				where, other, port.Name, port.Env.Value)
		}
		envs[port.Env.Value] = port.Name
	}
	for _, e := range s.Env {
		if port, clash := envs[e.Key]; clash {
			return errorf(e.Pos, "env of %s: %s is the env var of port %q, which stagebuild sets (remove it from env:, or rename the port's env var)",
				where, e.Key, port)
		}
	}
	if err := validateReadiness(s, where); err != nil {
		return err
	}
	allowed := map[string]bool{s.Name: true}
	for _, n := range s.Needs {
		allowed[n.Value] = true
	}
	for _, e := range s.Env {
		if err := checkRefs(p, e, "env of "+where, allowed, fmt.Sprintf("add it to needs: of %s", where)); err != nil {
			return err
		}
	}
	return nil
}

func validateReadiness(s *Service, where string) error {
	r := s.Readiness
	if r == nil {
		return errorf(s.Pos, "%s has no readiness: (say how to tell that it is up: log:, tcp:, http: or command:)", where)
	}
	if !isSet(r.Log) && !isSet(r.TCP) && r.HTTP == nil && r.Command == nil {
		return errorf(r.Pos, "readiness of %s has no check (give log:, tcp: PORT, http: {path: /health} or command:)", where)
	}
	if isSet(r.TCP) {
		if err := knownPort(s, r.TCP, "readiness.tcp of "+where); err != nil {
			return err
		}
	}
	if h := r.HTTP; h != nil {
		if !isSet(h.Path) {
			return errorf(h.Pos, "readiness.http of %s has no path: (write the path to GET, such as path: /health)", where)
		}
		if !isSet(h.Port) {
			if len(s.Ports) != 1 {
				return errorf(h.Pos, "readiness.http of %s has no port: (name one of its ports: %s)", where, portNames(s))
			}
			h.Port = Value{Value: s.Ports[0].Name, Pos: h.Pos}
		}
		return knownPort(s, h.Port, "readiness.http.port of "+where)
	}
	return nil
}

func knownPort(s *Service, v Value, what string) error {
	for _, p := range s.Ports {
		if p.Name == v.Value {
			return nil
		}
	}
	if len(s.Ports) == 0 {
		return errorf(v.Pos, "%s: unknown port %q (the service declares no ports:)", what, v.Value)
	}
	return errorf(v.Pos, "%s: unknown port %q (ports: %s)", what, v.Value, portNames(s))
}

func portNames(s *Service) string {
	var out []string
	for _, p := range s.Ports {
		out = append(out, p.Name)
	}
	if len(out) == 0 {
		return "none declared"
	}
	return strings.Join(out, ", ")
}

// validateStageServices checks a stage's services: list and the service
// references in its env.
func validateStageServices(p *Pipeline, s *Stage, names []string) error {
	var seen map[string]bool
	if len(s.Services) > 0 {
		seen = map[string]bool{}
	}
	for _, v := range s.Services {
		if p.Service(v.Value) == nil {
			if len(names) == 0 {
				return errorf(v.Pos, "services of stage %q: unknown service %q (declare it under the top-level services:)", s.Name, v.Value)
			}
			return errorf(v.Pos, "services of stage %q: unknown service %q%s", s.Name, v.Value, didYouMean(v.Value, names))
		}
		if seen[v.Value] {
			return errorf(v.Pos, "services of stage %q: %q is listed twice", s.Name, v.Value)
		}
		seen[v.Value] = true
	}
	if !hasServiceRef(s.Env) {
		return nil
	}
	allowed := map[string]bool{}
	for _, svc := range p.ServiceClosure(s) {
		allowed[svc.Name] = true
	}
	fix := fmt.Sprintf("list it under services: of stage %q", s.Name)
	if !s.IsGate() {
		fix = "only a test stage runs beside services"
	}
	for _, e := range s.Env {
		if err := checkRefs(p, e, fmt.Sprintf("env of stage %q:", s.Name), allowed, fix); err != nil {
			return err
		}
	}
	return nil
}

// hasServiceRef reports whether any of env's values may hold a
// ${services.…} reference (serviceRef needs this text to match).
func hasServiceRef(env []KV) bool {
	for _, e := range env {
		if strings.Contains(e.Value, "${services.") {
			return true
		}
	}
	return false
}

// needsCycle finds a cycle through the services' needs.
func needsCycle(p *Pipeline) error {
	state := map[string]int{} // 1 on the path, 2 done
	var path []string
	var visit func(s *Service) error
	visit = func(s *Service) error {
		switch state[s.Name] {
		case 1:
			cycle := append(append([]string(nil), path[indexOf(path, s.Name):]...), s.Name)
			first := p.Service(cycle[0])
			return errorf(first.Pos, "services form a cycle through needs: %s (one of them must start without the other)", strings.Join(cycle, " → "))
		case 2:
			return nil
		}
		state[s.Name] = 1
		path = append(path, s.Name)
		for _, n := range s.Needs {
			if err := visit(p.Service(n.Value)); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[s.Name] = 2
		return nil
	}
	for _, s := range p.Services {
		if err := visit(s); err != nil {
			return err
		}
	}
	return nil
}

// serviceStageCycle rejects a gate that runs beside a service whose image
// is built from the gate itself: the test would have to wait for itself.
func serviceStageCycle(p *Pipeline) error {
	for _, g := range p.Stages {
		for _, svc := range p.ServiceClosure(g) {
			for st := p.Stage(svc.Stage.Value); st != nil; st = p.Stage(st.FromStage) {
				if st.Name == g.Name {
					return errorf(svc.Stage.Pos, "stage of service %q: stage %q is built from test stage %q, which runs beside this service (build the service from a stage below the test)",
						svc.Name, svc.Stage.Value, g.Name)
				}
			}
		}
	}
	return nil
}
