// Package cli owns the stagebuild command line: cobra commands whose RunE
// parses flags into an Options struct and makes one call into the library.
// It maps errors to the documented exit codes. Each command has a runF hook
// so tests can check flag parsing without a daemon.
package cli
