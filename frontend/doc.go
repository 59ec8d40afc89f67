// Package frontend is stagebuild as a BuildKit frontend: the build function
// a gateway image runs (cmd/stagebuild-frontend) when a client asks
// BuildKit for `--frontend gateway.v0 --opt source=IMAGE`, for
// `BUILDKIT_SYNTAX=IMAGE` or for a `# syntax=IMAGE` first line. It reads the
// pipeline and the build options through BuildKit's dockerui client (the
// same locals, filename, build args, target and platforms as the Dockerfile
// frontend), plans over the client's context (ctxfs.go), answers the
// outline and targets subrequests (requests.go), and hands the plan to
// build.Frontend, which returns a result only when every gate, image check
// and purity check passed.
package frontend
