package buildflags

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"
)

// LoadOutput is --load for one target: a docker-format tar written to a
// temporary file, then fed to `docker load` once the build succeeded.
func LoadOutput(target string, names []string) (Output, error) {
	dir, err := os.MkdirTemp("", "stagebuild-load-")
	if err != nil {
		return Output{}, fmt.Errorf("--load: %w", err)
	}
	return Output{
		Target: target, Type: client.ExporterDocker, Load: true, Spec: "--load",
		Attrs: map[string]string{"name": strings.Join(names, ","), "dest": filepath.Join(dir, target+".tar")},
	}, nil
}

// WithLoad replaces, for each target, its unpushed image outputs with one
// --load output named by their names (the target's -t tags), else
// <dir>:<target>, dir being the context directory's base name.
func WithLoad(outputs map[string][]Output, targets []string, contextDir string) error {
	abs, _ := filepath.Abs(contextDir)
	for _, t := range targets {
		var names []string
		var keep []Output
		for _, out := range outputs[t] {
			if out.Type == client.ExporterImage && out.Attrs["push"] != "true" {
				names = append(names, out.Attrs["name"])
				continue
			}
			keep = append(keep, out)
		}
		if len(names) == 0 {
			names = []string{strings.ToLower(filepath.Base(abs)) + ":" + t}
		}
		lo, err := LoadOutput(t, names)
		if err != nil {
			return err
		}
		outputs[t] = append(keep, lo)
	}
	return nil
}

// Annotate adds the --annotation values to every image output (oci,
// docker, image), not to file trees (local, tar).
func Annotate(outputs map[string][]Output, annotations map[string]string) {
	for _, outs := range outputs {
		for _, out := range outs {
			if out.Type == client.ExporterLocal || out.Type == client.ExporterTar {
				continue
			}
			for k, v := range annotations {
				out.Attrs["annotation."+k] = v
			}
		}
	}
}
