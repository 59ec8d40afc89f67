// Package services owns the services runtime: the long-running containers
// started beside the gates that need them (a database, an API), each on a
// port allocated for the run, in the order of their needs. It waits until
// each is ready (log, tcp, http and command readiness checks), serves each
// gate's env file (the services' ports filled in) through the build's
// secret store, and releases a container when the last gate that needs it
// ends.
//
// It knows nothing of the build's runner: what it needs from a build
// session (solve a service's image, create a container, read a stage's
// env) is the Session interface, which the build package implements per
// target. It also owns the client of the probe on the daemon's network
// (Probe: port allocation, TCP and HTTP checks, all run where the
// containers run, never from the client), the judging of its results
// (Judge), and the output tail of a container (LogTail); the build's smoke
// check shares them.
package services
