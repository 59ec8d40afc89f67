// Package state owns stagebuild's local state directory (Dir) and what is
// kept there for a project: the record of its last successful build's
// inputs, which `stagebuild plan` diffs against. The local daemon's files
// (package daemon) and the test environment (package testenv) live under
// Dir too.
package state
