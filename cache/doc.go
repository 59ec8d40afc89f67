// Package cache owns the build plan: for every stage a target needs, the
// ordered steps (base, copies, installs with their cache mounts, the test
// command of a gate), the image config each stage sets, and the build
// context include set. The plan is plain data: `stagebuild plan` prints it
// and llbgen translates it to LLB without deciding anything itself.
//
// It is pure Go: no BuildKit client, no cobra.
package cache
