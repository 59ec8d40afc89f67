// Package build owns the BuildKit session: it resolves base images, asks
// llbgen for the graph, solves gates and images concurrently inside one
// client.Build gateway function per exported target, and returns a result
// only when every gate guarding that target passed. Exporters run only after
// the gateway function returns, so a failed gate exports, pushes and writes
// nothing. File and directory outputs are written to a temporary sibling and
// renamed into place, so a failed build never leaves a partial output.
//
// With several platforms (Options.Platforms, --platform) each platform gets
// its own graph, gates, checks and services in the same gateway function,
// and the result is the Dockerfile frontend's multi-platform result, so
// image outputs get an index (multiplatform.go).
package build
