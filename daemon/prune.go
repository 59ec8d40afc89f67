package daemon

import (
	"context"
	"time"

	"github.com/moby/buildkit/client"
)

// PruneOptions say what to keep when pruning the build cache.
type PruneOptions struct {
	// All also removes internal and frontend records, and shared ones.
	All bool
	// KeepDuration keeps records used more recently than this; 0 keeps none
	// for their age.
	KeepDuration time.Duration
	// KeepStorage keeps up to this many bytes of cache; 0 is no limit.
	KeepStorage int64
}

// PruneResult is what a prune removed.
type PruneResult struct {
	Reclaimed int64 `json:"reclaimed"`
	Records   int   `json:"records"`
}

// Prune removes unused build cache from the daemon of c.
func Prune(ctx context.Context, c *client.Client, o PruneOptions) (PruneResult, error) {
	// As buildctl prune --keep-storage: the daemon removes records until
	// the cache is at most this large.
	opts := []client.PruneOption{client.WithKeepOpt(o.KeepDuration, 0, o.KeepStorage, 0)}
	if o.All {
		opts = append(opts, client.PruneAll)
	}
	ch := make(chan client.UsageInfo)
	done := make(chan PruneResult)
	go func() {
		var r PruneResult
		for u := range ch {
			r.Reclaimed += u.Size
			r.Records++
		}
		done <- r
	}()
	err := c.Prune(ctx, ch, opts...)
	close(ch)
	return <-done, err
}
