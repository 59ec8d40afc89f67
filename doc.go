// Package stagebuild is the library entry point of the stagebuild module:
// Build, Plan, LLB, Dockerfile and Targets each run one command's whole
// flow (load the pipeline, resolve the targets, make the plan, connect,
// run, record) so that every cobra command in package cli is one call into
// it plus printing. A BuildRequest carries its Connect function, so the
// flow runs against a fake BuildKit client in unit tests.
//
// The packages, in data-flow order, are pipeline (the file), targets (what
// to build), manifest (dependency manifests), plan (the plan), llbgen
// (LLB), build (the session, gated solve and exports) and daemon (reaching
// buildkitd); buildflags parses flags and specs, state keeps the state dir
// and the record of the last build. The CLI lives in cmd/stagebuild and
// cli; testenv brings up the hermetic environment the integration tests
// run against.
package stagebuild
