// Command stagebuild-frontend is stagebuild as a BuildKit frontend image's
// entrypoint: BuildKit starts it with the gateway API in its environment
// (see package frontend).
package main

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"

	"github.com/stagebuild/stagebuild/frontend"
)

func main() {
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "stagebuild-frontend: %v\n", err)
		os.Exit(1)
	}
}
