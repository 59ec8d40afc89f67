// Package integration holds the end-to-end tests: they run the real
// bin/stagebuild against a real buildkitd with runc, a real local registry
// and real pip installs from the package index, all brought up by testenv.
package integration
