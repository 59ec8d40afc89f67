package stagebuild

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stagebuild/stagebuild/internal/atomicfile"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/initgen"
	"github.com/stagebuild/stagebuild/pipeline"
)

// InitRequest is one `stagebuild init`.
type InitRequest struct {
	// Dir is the project's root directory.
	Dir string
	// Force overwrites existing files; DryRun writes nothing.
	Force, DryRun bool
	// Installer is what the pipeline installs with: initgen.InstallerUV
	// (the default, also when empty) or initgen.InstallerPip.
	Installer string
}

// InitResult is what Init found and wrote.
type InitResult struct {
	// Project is what was found in Dir: its notes and lockfile among it.
	Project *initgen.Project
	// Files are the generated files, the pipeline first.
	Files []initgen.File
	// Written are the paths written, in order; none with DryRun.
	Written []string
}

// Init inspects the Python project in req.Dir and writes its
// stagebuild.yaml (and the locked requirements files a lockfile gives),
// never overwriting one without Force. The result holds what was found
// also when a file is refused.
func Init(req InitRequest) (*InitResult, error) {
	if fi, err := os.Stat(req.Dir); err != nil || !fi.IsDir() {
		return nil, buildflags.Usage(fmt.Errorf("%s: not a directory (give the project's root directory)", req.Dir))
	}
	if req.Installer != "" && !slices.Contains(initgen.Installers(), req.Installer) {
		return nil, buildflags.Usage(fmt.Errorf("--installer %q: not an installer (use %s)", req.Installer, strings.Join(initgen.Installers(), " or ")))
	}
	if err := req.refuseOverwrite(filepath.Join(req.Dir, pipeline.DefaultFile)); err != nil {
		return nil, err
	}
	proj, err := initgen.Inspect(os.DirFS(req.Dir))
	if err != nil {
		if errors.As(err, new(*initgen.Error)) {
			return nil, buildflags.Usage(fmt.Errorf("init %s: %w", req.Dir, err))
		}
		return nil, err
	}
	proj.Installer = req.Installer
	files, err := proj.Files()
	if err != nil {
		return nil, err
	}
	res := &InitResult{Project: proj, Files: files}
	if req.DryRun {
		return res, nil
	}
	for _, f := range files[1:] {
		if err := req.refuseOverwrite(filepath.Join(req.Dir, f.Name)); err != nil {
			return res, err
		}
	}
	for _, f := range files {
		path := filepath.Join(req.Dir, filepath.FromSlash(f.Name))
		if err := atomicfile.Write(path, f.Data, 0o755, 0o644); err != nil {
			return res, err
		}
		res.Written = append(res.Written, path)
	}
	return res, nil
}

// refuseOverwrite fails when path exists and neither Force nor DryRun is
// set.
func (req InitRequest) refuseOverwrite(path string) error {
	if req.Force || req.DryRun {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return buildflags.Usage(fmt.Errorf("%s already exists (pass --force to overwrite it)", path))
	}
	return nil
}

// DevcontainerRequest is one `stagebuild devcontainer`.
type DevcontainerRequest struct {
	// Dir holds stagebuild.yaml; the file goes to Dir/.devcontainer.
	Dir string
	// Image is the localdev image's name.
	Image string
	// Force overwrites an existing devcontainer.json.
	Force bool
}

// Devcontainer writes Dir/.devcontainer/devcontainer.json for the
// pipeline's localdev image and returns it with the path written.
func Devcontainer(req DevcontainerRequest) (*initgen.Devcontainer, string, error) {
	out := filepath.Join(req.Dir, ".devcontainer", "devcontainer.json")
	if _, err := os.Lstat(out); err == nil && !req.Force {
		return nil, out, buildflags.Usage(fmt.Errorf("%s already exists (pass --force to overwrite it)", out))
	}
	p, err := pipeline.Load(filepath.Join(req.Dir, pipeline.DefaultFile), nil)
	if err != nil {
		var pe *pipeline.Error
		if errors.As(err, &pe) && pe.Pos.Line == 0 && errors.Is(statErr(pe.Pos.File), os.ErrNotExist) {
			return nil, out, buildflags.Usage(fmt.Errorf("%s: no such file (run stagebuild init %s first)", pe.Pos.File, req.Dir))
		}
		return nil, out, err
	}
	abs, _ := filepath.Abs(req.Dir)
	dc, err := initgen.DevcontainerFor(p, filepath.Base(abs), req.Image)
	if err != nil {
		return nil, out, buildflags.Usage(err)
	}
	data, err := dc.JSON()
	if err != nil {
		return nil, out, err
	}
	if err := atomicfile.Write(out, data, 0o755, 0o644); err != nil {
		return nil, out, err
	}
	return dc, out, nil
}

func statErr(path string) error {
	_, err := os.Stat(path)
	return err
}
