package stagebuild

import (
	"context"
	"fmt"
	"io"

	"github.com/stagebuild/stagebuild/daemon"
)

// Prune removes unused build cache from the daemon at addr (else
// $BUILDKIT_HOST, else the local daemon, started on demand; log receives
// its start-up messages).
func Prune(ctx context.Context, addr string, o daemon.PruneOptions, log io.Writer) (daemon.PruneResult, error) {
	c, addr, err := daemon.Connect(ctx, addr, log)
	if err != nil {
		return daemon.PruneResult{}, err
	}
	defer c.Close()
	r, err := daemon.Prune(ctx, c, o)
	if err != nil {
		return r, fmt.Errorf("pruning the cache of %s: %w", addr, err)
	}
	return r, nil
}
