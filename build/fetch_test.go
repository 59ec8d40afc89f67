package build

import (
	"errors"
	"strings"
	"testing"

	"github.com/stagebuild/stagebuild/plan"
)

func TestFetchMismatch(t *testing.T) {
	want, got := "sha256:"+strings.Repeat("0", 64), "sha256:"+strings.Repeat("9", 64)
	pl := &plan.Plan{Stages: []plan.Stage{{Name: "uv", Steps: []plan.Step{
		{Kind: plan.StepFetch, URL: "https://example.com/uv.whl", Checksum: want, Dest: "/tmp/uv.whl", Source: "stagebuild.yaml:7:9"}}}}}
	const text = `stagebuild.yaml:7:9: stage "uv" fetched https://example.com/uv.whl, whose digest is ` +
		"sha256:9999999999999999999999999999999999999999999999999999999999999999, not its checksum " +
		"sha256:0000000000000000000000000000000000000000000000000000000000000000 " +
		"(if the file changed upstream on purpose, update checksum:; otherwise fix the url)"
	for _, msg := range []string{
		"failed to solve: digest mismatch " + got + ": " + want,
		"failed to solve: digest mismatch for https://example.com/uv.whl: " + got + " (expected: " + want + ")",
	} {
		inner := errors.New(msg)
		err := fetchMismatch(pl, inner)
		if err.Error() != text || !errors.Is(err, inner) {
			t.Errorf("%s:\ngot  %v\nwant %s", msg, err, text)
		}
	}
	other := errors.New("process did not complete successfully")
	if err := fetchMismatch(pl, other); err != other {
		t.Errorf("an unrelated error became %v", err)
	}
}
