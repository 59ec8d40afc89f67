// Package plan owns the build plan: for every stage a target needs, the
// ordered steps (base, manifests first, installs with their cache mounts,
// sources last, the test command of a gate), the image config each stage
// sets, the build context's include and exclude sets, the image checks and
// purity checks, and the services a gate runs beside. The plan is plain data:
// `stagebuild plan --format json` prints it and llbgen translates it to LLB
// without deciding anything itself.
//
// It also explains a plan: ComputeInputs digests what each step reads, and
// DiffInputs and Explain say which steps a change rebuilds and why.
//
// The dependency manifests it orders and expands come from package manifest.
// It is pure Go: no BuildKit client, no cobra.
package plan
