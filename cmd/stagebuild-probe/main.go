// Command stagebuild-probe is stagebuild's probe on the daemon's side: it
// runs in a gateway container on the daemon's network and answers the
// requests of package probe on stdin and stdout. It is built static and
// small, and reaches the daemon inside the build's LLB (never an output).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/stagebuild/stagebuild/internal/probe"
)

func main() {
	locks := flag.String("locks", "", "the directory of the port locks every build on the daemon shares")
	flag.Parse()
	if err := probe.Serve(os.Stdin, os.Stdout, *locks); err != nil {
		fmt.Fprintln(os.Stderr, "stagebuild-probe:", err)
		os.Exit(1)
	}
}
