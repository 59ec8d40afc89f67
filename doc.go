// Package stagebuild is the root of the stagebuild module. The CLI lives in
// cmd/stagebuild; the packages, in data-flow order, are pipeline (the file),
// targets (what to build), manifest (dependency manifests), plan (the plan), llbgen (LLB), build (the
// session, gated solve and exports) and daemon (reaching buildkitd). testenv
// brings up the hermetic environment the integration tests run against.
package stagebuild
