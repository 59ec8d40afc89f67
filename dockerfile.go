package stagebuild

import (
	"fmt"
	"os"
	"strings"

	"github.com/stagebuild/stagebuild/dockerfile"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

// DockerfileRequest is one `stagebuild dockerfile`.
type DockerfileRequest struct {
	Project
	// Targets are the stages to write, with their bases and gates; none
	// means every stage, the default target last.
	Targets []string
	// Output is the file the Dockerfile will be written to, which the
	// paths in it are relative to; "" or "-" means stdout.
	Output string
	// Command is the command line that regenerates the file, for its
	// header.
	Command string
}

// Dockerfile returns a multi-stage Dockerfile equivalent to the pipeline.
func Dockerfile(req DockerfileRequest) ([]byte, error) {
	p, err := req.pipeline()
	if err != nil {
		return nil, err
	}
	requested, last := req.Targets, p.DefaultTarget()
	if len(requested) == 0 {
		requested = p.StageNames()
	} else {
		last = requested[0]
	}
	res, err := targets.Resolve(p, requested)
	if err != nil {
		return nil, err
	}
	ctx := os.DirFS(req.ContextDir)
	pl, err := plan.Make(p, res, ctx)
	if err != nil {
		return nil, err
	}
	req.warn(pl.Warnings)
	for _, st := range pl.Stages { // services (pipeline/services.go) have no Dockerfile form
		if len(st.Services) > 0 {
			fmt.Fprintf(req.log(), "stagebuild: warning: gate %s runs beside services (%s), which a Dockerfile cannot start: its test will run without them\n",
				st.Name, strings.Join(st.Services, ", "))
		}
	}
	opts := dockerfile.Options{Pipeline: req.File, Command: req.Command, ContextDir: req.ContextDir, Last: last, Context: ctx}
	if req.Output != "" && req.Output != "-" {
		opts.File = req.Output
	}
	text, err := dockerfile.Generate(pl, opts)
	if err != nil {
		return nil, fmt.Errorf("writing a Dockerfile for %s: %w", req.File, err)
	}
	return text, nil
}
