// Package initgen owns `stagebuild init` and `stagebuild devcontainer`: it
// inspects an existing Python project (dependency manifests and lockfiles,
// the source package, the tests and their runner, the service's
// entrypoint) and writes a stagebuild.yaml with the deps → test_deps →
// builder/tests_builder → tests/localdev/service layout (a tests gate, and a
// service gated by the tests), plus the lock-derived requirements files
// that pipeline installs from, and a devcontainer.json for the localdev
// image.
//
// Every finding is reported as a Note, either detected (read from a file)
// or guessed (a default or an inference), so the user knows what to check.
//
// It is pure Go: it reads an fs.FS and returns bytes. It reuses the manifest
// package's manifest detection and the pipeline parser, and imports neither
// the BuildKit client nor cobra; the cli package writes the files.
package initgen
