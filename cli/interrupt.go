package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/stagebuild/stagebuild/build"
)

// onInterrupt is the context Main runs under. The first signal on sigs
// (SIGINT or SIGTERM) cancels it: the build unwinds, releases its services
// and containers and leaves no partial output, and Main returns exit code
// 130. A second signal does not wait for that: it removes the partial
// outputs and exits 130 at once (the daemon ends the build's containers
// when its session goes). stop ends the watch.
func onInterrupt(parent context.Context, sigs <-chan os.Signal, errw io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	ended := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	go func() {
		select {
		case <-sigs:
		case <-done:
		}
		if ended() {
			return
		}
		cancel()
		select {
		case <-sigs:
		case <-done:
		}
		if !ended() {
			fmt.Fprintln(errw, "stagebuild: interrupted again: exiting now")
			build.RemovePartial()
			exit(ExitInterrupted)
		}
	}()
	return ctx, func() { close(done); cancel() }
}
