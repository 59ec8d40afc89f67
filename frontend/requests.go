package frontend

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	subtargets "github.com/moby/buildkit/frontend/subrequests/targets"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/targets"
)

// requestHandler answers `--call targets` and `--call outline`.
func requestHandler(p *pipeline.Pipeline, target string) dockerui.RequestHandler {
	return dockerui.RequestHandler{
		ListTargets: func(context.Context) (*subtargets.List, error) { return targetList(p), nil },
		Outline:     func(context.Context) (*outline.Outline, error) { return outlineOf(p, target) },
	}
}

// targetList lists every stage: each image with the gates that guard it,
// each gate with the images it guards.
func targetList(p *pipeline.Pipeline) *subtargets.List {
	l := &subtargets.List{Targets: []subtargets.Target{}}
	guards := map[string][]string{}
	for _, d := range targets.Describe(p) {
		for _, g := range d.GatedBy {
			guards[g] = append(guards[g], d.Stage)
		}
	}
	for _, d := range targets.Describe(p) {
		desc := "image"
		if len(d.GatedBy) > 0 {
			desc = "image, gated by " + strings.Join(d.GatedBy, ", ")
		}
		if d.Kind == "gate" {
			desc = "gate"
			if gs := guards[d.Stage]; len(gs) > 0 {
				desc = "gate, guards " + strings.Join(gs, ", ")
			}
		}
		l.Targets = append(l.Targets, subtargets.Target{Name: d.Stage, Default: d.Default, Description: desc, Base: d.From})
	}
	return l
}

// outlineOf describes a build of target (the default when empty): the
// gates that run, the args, secrets and SSH agents its stages use.
func outlineOf(p *pipeline.Pipeline, target string) (*outline.Outline, error) {
	var requested []string
	if target != "" {
		requested = []string{target}
	}
	res, err := targets.Resolve(p, requested)
	if err != nil {
		return nil, err
	}
	t := res.Targets[0]
	o := &outline.Outline{Name: t.Stage, Description: "image " + t.Stage}
	if len(t.Gates) > 0 {
		o.Description = fmt.Sprintf("image %s, gated by %s", t.Stage, strings.Join(t.Gates, ", "))
	}
	for _, a := range p.Args {
		o.Args = append(o.Args, outline.Arg{Name: a.Name, Value: p.ArgValues[a.Name]})
	}
	seen := map[string]bool{}
	for _, name := range res.Stages {
		s := p.Stage(name)
		if s == nil {
			continue
		}
		for _, m := range s.Secrets {
			if !seen["secret:"+m.ID.Value] {
				seen["secret:"+m.ID.Value] = true
				o.Secrets = append(o.Secrets, outline.Secret{Name: m.ID.Value, Required: !m.Optional})
			}
		}
		for _, id := range s.SSH {
			if !seen["ssh:"+id.Value] {
				seen["ssh:"+id.Value] = true
				o.SSH = append(o.SSH, outline.SSH{Name: id.Value, Required: true})
			}
		}
	}
	return o, nil
}
