// Package dockerimport owns `stagebuild import`: it reads a multi-stage
// Dockerfile with BuildKit's own parser (frontend/dockerfile/parser and
// instructions) and writes the equivalent stagebuild.yaml.
//
// Each Dockerfile stage becomes one pipeline stage, or a short chain of
// them where the Dockerfile interleaves what a pipeline stage orders
// (a COPY after a RUN, a WORKDIR or USER between steps). A stage whose RUN
// runs tests (runners.go) becomes a gate; the marker trick (RUN pytest &&
// touch /x, then COPY --from=tests /x) becomes gated_by; a dev stage whose
// command is a test runner gets a gate of its own. The production image is
// chosen by name or as the default target without test dependencies
// (choose.go), gated by every gate, and given the checks that catch a
// service that cannot start (initgen.ServiceChecks). Poetry, uv and Pipenv
// installs take init's lockfile route, and `poetry run X` and the like
// become X when the tool is no longer in the image (tools.go). What has no
// pipeline equivalent is a warning naming its Dockerfile line.
//
// It imports BuildKit's Dockerfile parser, so it is not one of the pure
// packages, but it imports neither the BuildKit client nor cobra
// (depcheck_test.go); the YAML is written by initgen's Writer.
package dockerimport
