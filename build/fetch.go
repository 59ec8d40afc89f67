package build

import (
	"fmt"
	"regexp"

	"github.com/stagebuild/stagebuild/plan"
)

// FetchError is a url: copy whose file did not match its checksum: BuildKit's
// http source refused it, and nothing was exported.
type FetchError struct {
	Stage, URL, Source string
	Got, Want          string
	Err                error
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("%s: stage %q fetched %s, whose digest is %s, not its checksum %s "+
		"(if the file changed upstream on purpose, update checksum:; otherwise fix the url)", e.Source, e.Stage, e.URL, e.Got, e.Want)
}

func (e *FetchError) Unwrap() error { return e.Err }

// BuildKit says "digest mismatch for URL: GOT (expected: WANT)" when it
// checks the pinned checksum, and "digest mismatch GOT: WANT" when the
// fetched body differs from it.
var (
	mismatchFor  = regexp.MustCompile(`digest mismatch for (\S+): (sha256:[0-9a-f]{64}) \(expected: (sha256:[0-9a-f]{64})\)`)
	mismatchBare = regexp.MustCompile(`digest mismatch (sha256:[0-9a-f]{64}): (sha256:[0-9a-f]{64})`)
)

// fetchMismatch names the pipeline entry, its URL and both digests in a
// build error that is a fetch's checksum mismatch.
func fetchMismatch(pl *plan.Plan, err error) error {
	if err == nil || pl == nil {
		return err
	}
	msg := err.Error()
	var url, got, want string
	if m := mismatchFor.FindStringSubmatch(msg); m != nil {
		url, got, want = m[1], m[2], m[3]
	} else if m := mismatchBare.FindStringSubmatch(msg); m != nil {
		got, want = m[1], m[2]
	} else {
		return err
	}
	for _, st := range pl.Stages {
		for _, s := range st.Steps {
			if s.Kind == plan.StepFetch && s.Checksum == want && (url == "" || s.URL == url) {
				return &FetchError{Stage: st.Name, URL: s.URL, Source: s.Source, Got: got, Want: want, Err: err}
			}
		}
	}
	return err
}
