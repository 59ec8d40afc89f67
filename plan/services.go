package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/stagebuild/stagebuild/pipeline"
)

// DefaultServiceTimeout bounds a service's wait for readiness when the
// pipeline sets none.
const DefaultServiceTimeout = 60 * time.Second

// ServiceHost is the address every service listens on: the daemon's host
// network, loopback only.
const ServiceHost = "127.0.0.1"

// Service is a long-running container started beside the gates that need
// it. Env values are templates: ${services.NAME.ports.PORT} is replaced by
// the port allocated for the run (see ExpandServices).
type Service struct {
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
	Stage string `json:"stage,omitempty"`
	// Command runs instead of the image's entrypoint and cmd; Shell means
	// Command[0] runs under /bin/sh -c.
	Command   []string      `json:"command,omitempty"`
	Shell     bool          `json:"shell,omitempty"`
	Env       []EnvVar      `json:"env,omitempty"`
	Ports     []ServicePort `json:"ports,omitempty"`
	Readiness Readiness     `json:"readiness"`
	Timeout   time.Duration `json:"timeout"`
	Needs     []string      `json:"needs,omitempty"`
	Source    string        `json:"source"`
}

// ServicePort is a named port and the env var that passes it in.
type ServicePort struct {
	Name string `json:"name"`
	Env  string `json:"env"`
}

// Readiness lists what must hold before a service counts as up: every
// check that is set.
type Readiness struct {
	Log  LogPattern `json:"log,omitzero"`
	TCP  string     `json:"tcp,omitempty"`
	HTTP *ReadyHTTP `json:"http,omitempty"`
	// Command runs in the service's container and must exit 0.
	Command []string `json:"command,omitempty"`
	Shell   bool     `json:"shell,omitempty"`
}

// ReadyHTTP is a GET of Path on the named port.
type ReadyHTTP struct {
	Port   string  `json:"port"`
	Path   string  `json:"path"`
	Status int     `json:"status"`
	Body   Pattern `json:"body,omitzero"`
}

// Service returns the planned service with the given name, or nil.
func (p *Plan) Service(name string) *Service {
	for i := range p.Services {
		if p.Services[i].Name == name {
			return &p.Services[i]
		}
	}
	return nil
}

// planServices adds the services of the planned gates to the plan: each
// gate gets its services in start order and the env entries that read
// them, which leave its image config (they hold per-run ports).
func planServices(p *pipeline.Pipeline, plan *Plan, ps *patterns) {
	used := map[string]bool{}
	for i := range plan.Stages {
		st := &plan.Stages[i]
		s := p.Stage(st.Name)
		if s == nil || !s.IsGate() {
			continue
		}
		for _, svc := range p.ServiceClosure(s) {
			st.Services = append(st.Services, svc.Name)
			used[svc.Name] = true
		}
		if len(st.Services) > 0 {
			st.Config.Env, st.ServiceEnv = splitServiceEnv(p, st.Config.Env)
		}
	}
	for _, svc := range p.Services {
		if used[svc.Name] {
			plan.Services = append(plan.Services, planService(p, svc, ps))
		}
	}
	plan.Stages = orderForServices(plan)
}

func planService(p *pipeline.Pipeline, s *pipeline.Service, ps *patterns) Service {
	out := Service{Name: s.Name, Image: s.Image.Value, Stage: s.Stage.Value, Timeout: DefaultServiceTimeout, Source: s.Pos.String()}
	if s.Command != nil {
		out.Command, out.Shell = s.Command.Args, s.Command.Shell
	}
	if d, err := time.ParseDuration(s.Timeout.Value); err == nil && d > 0 {
		out.Timeout = d
	}
	for _, e := range s.Env {
		out.Env = append(out.Env, EnvVar{Key: e.Key, Value: normalizeRefs(p, e.Value)})
	}
	for _, port := range s.Ports {
		out.Ports = append(out.Ports, ServicePort{Name: port.Name, Env: port.Env.Value})
	}
	for _, n := range s.Needs {
		out.Needs = append(out.Needs, n.Value)
	}
	if r := s.Readiness; r != nil {
		key := fmt.Sprintf("readiness of service %q.", s.Name) // as the parser names it
		out.Readiness = Readiness{Log: ps.compileLog(r.Log, key+"log"), TCP: r.TCP.Value}
		if r.Command != nil {
			out.Readiness.Command, out.Readiness.Shell = r.Command.Args, r.Command.Shell
		}
		if h := r.HTTP; h != nil {
			out.Readiness.HTTP = &ReadyHTTP{Port: h.Port.Value, Path: h.Path.Value, Status: h.Status,
				Body: ps.compile(h.Body, key+"http.body")}
		}
	}
	return out
}

// orderForServices orders the stages so that each comes after its base and,
// for a gate, after the stages its services run: the gate's test mounts them.
func orderForServices(plan *Plan) []Stage {
	byName := make(map[string]int, len(plan.Stages))
	for i := range plan.Stages {
		if _, dup := byName[plan.Stages[i].Name]; !dup {
			byName[plan.Stages[i].Name] = i // the first, as Plan.Stage finds
		}
	}
	order := make([]int, 0, len(plan.Stages))
	done := make([]bool, len(plan.Stages))
	var visit func(name string)
	visit = func(name string) {
		i, ok := byName[name]
		if !ok || done[i] {
			return
		}
		done[i] = true
		st := &plan.Stages[i]
		visit(st.Base.Stage)
		for _, svc := range st.Services {
			if s := plan.Service(svc); s != nil {
				visit(s.Stage)
			}
		}
		order = append(order, i)
	}
	for _, st := range plan.Stages {
		visit(st.Name)
	}
	moved := len(order) != len(plan.Stages)
	for i, j := range order {
		moved = moved || i != j
	}
	if !moved && plan.Stages != nil {
		return plan.Stages // already in order, as most plans are
	}
	out := make([]Stage, len(order))
	for i, j := range order {
		out[i] = plan.Stages[j]
	}
	return out
}

// ServicesDigest is the digest of what a gate's services are, as far as its
// verdict can tell: each service's image or stage, command, env, ports,
// readiness and needs, and the gate's service env. It leaves out where they
// are written and the timeout, and never holds a port number.
func (p *Plan) ServicesDigest(st *Stage) string {
	type keyed struct {
		Services []Service `json:"services"`
		Env      []EnvVar  `json:"env"`
	}
	k := keyed{Env: st.ServiceEnv}
	for _, name := range st.Services {
		if svc := p.Service(name); svc != nil {
			s := *svc
			s.Source, s.Timeout = "", 0
			k.Services = append(k.Services, s)
		}
	}
	b, _ := json.Marshal(k)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ImageUse is an image the plan starts from, and who uses it.
type ImageUse struct {
	Image string
	// User is "stage NAME" or "service NAME".
	User string
}

// Images lists every image a stage is based on or a service runs, once.
func (p *Plan) Images() []ImageUse {
	var out []ImageUse
	add := func(img, user string) {
		if img != "" && !slices.ContainsFunc(out, func(u ImageUse) bool { return u.Image == img }) {
			out = append(out, ImageUse{Image: img, User: user})
		}
	}
	for _, s := range p.Stages {
		add(s.Base.Image, "stage "+s.Name)
	}
	for _, s := range p.Services {
		add(s.Image, "service "+s.Name)
	}
	return out
}
