// Package verify owns the judgement of image checks: given the facts
// observed about a built image (its config, a path's stat, a command's
// result, a smoke test's log and HTTP answer), it says which expectations
// of a plan.Checks were not met, in words a human can act on.
//
// It is pure Go and does no I/O: running commands in the image and probing
// the service is the build package's job. It imports neither the BuildKit
// client nor cobra.
package verify
