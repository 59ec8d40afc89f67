package pipeline

import (
	"fmt"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// Service is a long-running container started beside the gates that list it
// under services:, on the daemon's host network, for as long as they run.
type Service struct {
	Name string
	Pos  Pos
	// Image is an image reference; Stage names a stage of this pipeline.
	// Exactly one is set.
	Image Value
	Stage Value
	// Command runs instead of the image's entrypoint and cmd.
	Command *Command
	// Env is added to the image's env. Values may refer to the ports of the
	// services this one needs: ${services.db.port}.
	Env []KV
	// Ports are the ports the service listens on, by name. stagebuild
	// allocates each one per run and passes it in the port's env var.
	Ports []ServicePort
	// Readiness says how to tell that the service is up.
	Readiness *Readiness
	// Timeout bounds the wait for readiness; default 60s.
	Timeout Value
	// Needs are the services started (and ready) before this one.
	Needs []Value
}

// ServicePort is one named port of a service and the env var through which
// the service learns the number allocated to it.
type ServicePort struct {
	Name string
	Env  Value
	Pos  Pos
}

// Readiness is what must hold before a service's consumers start: every
// check given.
type Readiness struct {
	// Log is a regular expression over the service's output.
	Log Value
	// TCP names a port that must accept a connection.
	TCP Value
	// HTTP is a GET on one of the ports.
	HTTP *ReadyHTTP
	// Command runs inside the service's container and must exit 0.
	Command *Command
	Pos     Pos
}

// ReadyHTTP is a GET of Path on 127.0.0.1:<Port>. Port may be omitted when
// the service has one port; Status defaults to 200; Body is a regular
// expression over the response body.
type ReadyHTTP struct {
	Port   Value
	Path   Value
	Status int
	Body   Value
	Pos    Pos
}

// Service returns the service with the given name, or nil.
func (p *Pipeline) Service(name string) *Service {
	for _, s := range p.Services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// ServiceNames returns the service names in declaration order.
func (p *Pipeline) ServiceNames() []string {
	names := make([]string, len(p.Services))
	for i, s := range p.Services {
		names[i] = s.Name
	}
	return names
}

// ServiceClosure returns the services a gate runs beside: those it lists and
// every service they need, each after the services it needs.
func (p *Pipeline) ServiceClosure(stage *Stage) []*Service {
	var out []*Service
	if len(stage.Services) == 0 {
		return out
	}
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		svc := p.Service(name)
		if svc == nil || seen[name] {
			return
		}
		seen[name] = true
		for _, n := range svc.Needs {
			visit(n.Value)
		}
		out = append(out, svc)
	}
	for _, v := range stage.Services {
		visit(v.Value)
	}
	return out
}

var (
	serviceKeys   = []string{"image", "stage", "command", "env", "ports", "readiness", "timeout", "needs", "description"}
	readinessKeys = []string{"log", "tcp", "http", "command"}
	readyHTTPKeys = []string{"port", "path", "status", "body"}
)

// services parses the top-level services: mapping. It runs once the args
// are known, since image:, stage: and env values may use them.
func (ps *parser) services(n *yaml.Node) error {
	if n == nil {
		return nil
	}
	return ps.pairs(n, "services", nil, func(k, v *yaml.Node) error {
		if !stageName.MatchString(k.Value) {
			return errorf(ps.pos(k), "invalid service name %q (use lowercase letters, digits, - and _)", k.Value)
		}
		if ps.p.Service(k.Value) != nil {
			return errorf(ps.pos(k), "duplicate service %q", k.Value)
		}
		s := &Service{Name: k.Value, Pos: ps.pos(k)}
		if err := ps.service(s, v); err != nil {
			return err
		}
		ps.p.Services = append(ps.p.Services, s)
		return nil
	})
}

func (ps *parser) service(s *Service, n *yaml.Node) error {
	where := fmt.Sprintf("service %q", s.Name)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return errorf(s.Pos, "%s is empty (give it image: or stage:, ports: and readiness:)", where)
	}
	return ps.pairs(n, where, serviceKeys, func(k, v *yaml.Node) error {
		what := fmt.Sprintf("%s of %s", k.Value, where)
		var err error
		switch k.Value {
		case "image":
			s.Image, err = ps.argScalar(v, what)
		case "stage":
			s.Stage, err = ps.argScalar(v, what)
		case "command":
			s.Command, err = ps.command(v, what)
		case "env":
			s.Env, err = ps.kvs(v, what, true)
		case "ports":
			s.Ports, err = ps.servicePorts(v, what)
		case "readiness":
			s.Readiness, err = ps.readiness(v, what)
		case "timeout":
			if s.Timeout, err = ps.argScalar(v, what); err == nil {
				err = judge(&s.Timeout, what, "duration")
			}
		case "needs":
			s.Needs, err = ps.scalars(v, what)
		case "description":
			_, err = ps.scalar(v, what)
		}
		return err
	})
}

// servicePorts reads ports: {NAME: ENV, ...}.
func (ps *parser) servicePorts(n *yaml.Node, what string) ([]ServicePort, error) {
	var out []ServicePort
	err := ps.pairs(n, what+" (a mapping of port names to the env var that passes each port in, such as http: PORT)", nil,
		func(k, v *yaml.Node) error {
			if !portName.MatchString(k.Value) {
				return errorf(ps.pos(k), "%s: invalid port name %q (use letters, digits, - and _)", what, k.Value)
			}
			env, err := ps.scalar(v, fmt.Sprintf("%s.%s", what, k.Value))
			if err == nil {
				err = judge(&env, fmt.Sprintf("%s.%s", what, k.Value), "env name")
			}
			out = append(out, ServicePort{Name: k.Value, Env: env, Pos: ps.pos(k)})
			return err
		})
	return out, err
}

func (ps *parser) readiness(n *yaml.Node, what string) (*Readiness, error) {
	r := &Readiness{Pos: ps.pos(n)}
	err := ps.pairs(n, what, readinessKeys, func(k, v *yaml.Node) error {
		at := what + "." + k.Value
		var err error
		switch k.Value {
		case "log":
			if r.Log, err = ps.argScalar(v, at); err == nil {
				err = judge(&r.Log, at, "regexp")
			}
		case "tcp":
			r.TCP, err = ps.scalar(v, at)
		case "http":
			r.HTTP, err = ps.readyHTTP(v, at)
		case "command":
			r.Command, err = ps.command(v, at)
		}
		return err
	})
	return r, err
}

func (ps *parser) readyHTTP(n *yaml.Node, what string) (*ReadyHTTP, error) {
	h := &ReadyHTTP{Status: 200, Pos: ps.pos(n)}
	err := ps.pairs(n, what, readyHTTPKeys, func(k, v *yaml.Node) error {
		at := what + "." + k.Value
		val, err := ps.argScalar(v, at)
		if err != nil {
			return err
		}
		switch k.Value {
		case "port":
			h.Port = val
		case "path":
			h.Path, err = val, judge(&val, at, "url path")
		case "body":
			h.Body, err = val, judge(&val, at, "regexp")
		case "status":
			code, perr := strconv.Atoi(val.Value)
			if perr != nil || code < 100 || code > 599 {
				return errorf(val.Pos, "%s must be an HTTP status from 100 to 599, got %q", at, val.Value)
			}
			h.Status = code
		}
		return err
	})
	return h, err
}
