// Package probebin carries the stagebuild-probe program (built from
// cmd/stagebuild-probe by `make probe`, static, committed beside this
// file) and turns it into the LLB that takes it to the daemon: a scratch
// filesystem holding only the program, which a gateway container runs.
// It is never part of an output. TestProbeUpToDate fails when the
// program's sources changed since it was built.
package probebin

import (
	_ "embed"

	"github.com/moby/buildkit/client/llb"
)

// Path is where the program is in State's filesystem.
const Path = "/stagebuild-probe"

//go:embed stagebuild-probe
var program []byte

// State is a filesystem with only the probe program at Path.
func State() llb.State {
	return llb.Scratch().File(llb.Mkfile(Path, 0o755, program), llb.WithCustomName("[internal] stagebuild probe"))
}
