package buildflags

import (
	"testing"
	"time"
)

func TestParseSourceDateEpoch(t *testing.T) {
	got, err := ParseSourceDateEpoch(" 1700000000\n")
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) || got.Location() != time.UTC {
		t.Errorf("ParseSourceDateEpoch = %v, %v", got, err)
	}
	for _, bad := range []string{"", "yesterday", "-1", "1.5", "17e8"} {
		if _, err := ParseSourceDateEpoch(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	_, err = ParseSourceDateEpoch("x")
	if want := `SOURCE_DATE_EPOCH "x": not a Unix time (whole seconds since 1970, e.g. $(git log -1 --format=%ct))`; err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
}

func TestParseProvenance(t *testing.T) {
	for spec, want := range map[string]string{
		"": "", "false": "", "0": "", "true": "mode=min", "1": "mode=min",
		"mode=min": "mode=min", "mode=max": "mode=max", "mode=max,version=v1": "mode=max,version=v1",
		"mode=max,disabled=true": "",
	} {
		if got, err := ParseProvenance(spec); err != nil || got != want {
			t.Errorf("ParseProvenance(%q) = %q, %v; want %q", spec, got, err, want)
		}
	}
	for spec, want := range map[string]string{
		"mode=full":     `--provenance "mode=full": mode=full is not supported (mode=min|max, version=v0.2|v1)`,
		"max":           `--provenance "max": write true, false, mode=min or mode=max`,
		"builder-id=me": `--provenance "builder-id=me": write true, false, mode=min or mode=max`,
	} {
		if _, err := ParseProvenance(spec); err == nil || err.Error() != want {
			t.Errorf("ParseProvenance(%q) error = %v\nwant %s", spec, err, want)
		}
	}
}
