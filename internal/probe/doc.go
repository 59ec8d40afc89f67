// Package probe is the daemon side of stagebuild's service and smoke
// probes: the stagebuild-probe program (cmd/stagebuild-probe) runs it in a
// gateway container on the daemon's network, where the services run, so
// that nothing on the client ever dials a service's port (the daemon may be
// in another network namespace or on another machine).
//
// It speaks JSON lines on stdin and stdout (Request, Response): it picks
// free ports on the daemon's loopback and holds them (lock files in a
// directory every build on the daemon shares, so two builds never get the
// same port), tells whether a port is taken, and watches TCP and HTTP
// checks, reporting each change of their results. It judges nothing: the
// client compares the answers with the pipeline's expectations.
//
// It imports only the standard library's small packages (no net/http), so
// that the program stays a few MB, static, and goes to the daemon inside
// the build's LLB (package probebin).
package probe
