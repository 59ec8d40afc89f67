package build

import (
	"os"
	"sync"
)

// inFlight holds the temporary files and directories of the outputs being
// written, so that an exit that cannot wait for the build to unwind (a
// second Ctrl-C) leaves no partial output either.
var inFlight = struct {
	mu    sync.Mutex
	paths map[string]bool
}{paths: map[string]bool{}}

func track(paths ...string) {
	inFlight.mu.Lock()
	defer inFlight.mu.Unlock()
	for _, p := range paths {
		if p != "" {
			inFlight.paths[p] = true
		}
	}
}

func untrack(paths ...string) {
	inFlight.mu.Lock()
	defer inFlight.mu.Unlock()
	for _, p := range paths {
		delete(inFlight.paths, p)
	}
}

// RemovePartial removes the temporary files of every output still being
// written. The CLI calls it when a second interrupt makes it exit at once.
func RemovePartial() {
	inFlight.mu.Lock()
	defer inFlight.mu.Unlock()
	for p := range inFlight.paths {
		_ = os.RemoveAll(p)
		delete(inFlight.paths, p)
	}
}
