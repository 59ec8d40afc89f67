// Command stagebuild builds gated multi-stage container images on BuildKit.
package main

import (
	"os"

	"github.com/stagebuild/stagebuild/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
