package build

import (
	"fmt"

	"github.com/moby/buildkit/util/grpcerrors"
	"google.golang.org/grpc/codes"
)

// DaemonLostError is a build whose daemon went away in the middle (it was
// killed, crashed or restarted): nothing was exported, and the fix is to
// look at the daemon and build again.
type DaemonLostError struct{ Err error }

func (e *DaemonLostError) Error() string {
	return fmt.Sprintf("the BuildKit daemon stopped answering during the build (%v); nothing was exported: "+
		"check it (stagebuild daemon status, and its log) and build again", e.Err)
}

func (e *DaemonLostError) Unwrap() error { return e.Err }

// daemonLost names a lost connection to the daemon for what it is.
func daemonLost(err error) error {
	if err != nil && grpcerrors.Code(err) == codes.Unavailable {
		return &DaemonLostError{Err: err}
	}
	return err
}
