// Package daemon owns the connection to BuildKit: an explicit address
// (--addr or BUILDKIT_HOST), or the local buildkitd that stagebuild starts
// itself on first use and reuses afterwards. The local daemon runs the
// buildkitd binary built from the pinned module (bin/buildkitd, next to the
// stagebuild binary), keeps its state under state.Dir()/buildkitd, and reads
// state.Dir()/buildkitd.toml when that file exists.
package daemon
