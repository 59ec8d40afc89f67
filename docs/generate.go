//go:build ignore

// Generates docs/reference from the cobra command tree: go run docs/generate.go
// (or make docs). cli's TestReferenceUpToDate fails when it is stale.
package main

import (
	"fmt"
	"os"

	"github.com/stagebuild/stagebuild/cli"
)

func main() {
	dir := "docs/reference"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := cli.WriteReference(dir); err != nil {
		fmt.Fprintf(os.Stderr, "generate: %v\n", err)
		os.Exit(1)
	}
}
