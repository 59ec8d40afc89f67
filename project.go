package stagebuild

import (
	"fmt"
	"io"
	"os"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

// Project is a pipeline file, its build context and the arg values it is
// loaded with: what every command starts from.
type Project struct {
	// File is the pipeline file (stagebuild.yaml).
	File string
	// ContextDir is the build context: the directory copies read from.
	ContextDir string
	// BuildArgs override the pipeline's args (--build-arg).
	BuildArgs map[string]string
	// Log receives warnings, as "stagebuild: warning: ..." lines; nil
	// discards them.
	Log io.Writer
}

func (p Project) log() io.Writer {
	if p.Log == nil {
		return io.Discard
	}
	return p.Log
}

func (p Project) warn(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(p.log(), "stagebuild: warning: %s\n", w)
	}
}

// pipeline parses the pipeline file with the build args.
func (p Project) pipeline() (*pipeline.Pipeline, error) {
	pl, err := pipeline.Load(p.File, p.BuildArgs)
	if err != nil {
		return nil, err
	}
	p.warn(pl.Warnings)
	return pl, nil
}

// load parses the pipeline and resolves the requested targets.
func (p Project) load(requested []string) (*pipeline.Pipeline, *targets.Resolution, error) {
	pl, err := p.pipeline()
	if err != nil {
		return nil, nil, err
	}
	res, err := targets.Resolve(pl, requested)
	if err != nil {
		return pl, nil, err
	}
	return pl, res, nil
}

// plan makes the plan of the resolved targets over the build context.
func (p Project) plan(pi *pipeline.Pipeline, res *targets.Resolution) (*plan.Plan, error) {
	pl, err := plan.Make(pi, res, os.DirFS(p.ContextDir))
	if err != nil {
		return nil, err
	}
	p.warn(pl.Warnings)
	return pl, nil
}

// Targets lists the stages of a pipeline file and the gates that guard
// each image.
func Targets(file string) ([]targets.Description, error) {
	p, err := pipeline.Load(file, nil)
	if err != nil {
		return nil, err
	}
	return targets.Describe(p), nil
}
