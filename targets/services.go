package targets

import "github.com/stagebuild/stagebuild/pipeline"

// addServiceStages adds, for every planned gate that runs beside services,
// the stages those services run (and their from-ancestors), until no
// planned gate needs a stage that is not planned. Plan order is the cache
// planner's to fix: a service's stage must be generated before the gate.
func (r *Resolution) addServiceStages(p *pipeline.Pipeline, seen map[string]bool) {
	for i := 0; i < len(r.Stages); i++ {
		s := p.Stage(r.Stages[i])
		if s == nil || !s.IsGate() {
			continue
		}
		for _, svc := range p.ServiceClosure(s) {
			if svc.Stage.Value != "" {
				r.addChain(p, svc.Stage.Value, seen)
			}
		}
	}
}
