// Command stagebuild builds gated multi-stage container images on BuildKit.
package main

import (
	"os"
	"runtime/debug"

	"github.com/stagebuild/stagebuild/cli"
)

// gcPercent is the garbage collector's target for this short-lived process:
// its heap stays in the tens of megabytes, and collecting a quarter as
// often cuts the CPU that generating and marshalling a large graph takes
// (llbgen's BenchmarkGenerate500 runs with the same setting). GOGC, when
// set, wins.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(cli.Main(os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
