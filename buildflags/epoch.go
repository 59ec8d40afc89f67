package buildflags

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSourceDateEpoch parses SOURCE_DATE_EPOCH: seconds since 1970, UTC.
func ParseSourceDateEpoch(v string) (*time.Time, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("SOURCE_DATE_EPOCH %q: not a Unix time (whole seconds since 1970, e.g. $(git log -1 --format=%%ct))", v)
	}
	t := time.Unix(n, 0).UTC()
	return &t, nil
}

// ParseProvenance parses --provenance as buildx does: "true" is mode=min,
// "false" (or "") is none, otherwise comma-separated mode=min|max and
// version=v0.2|v1. It returns the attest:provenance value, "" for none.
func ParseProvenance(spec string) (string, error) {
	if spec == "" {
		return "", nil
	}
	if on, err := strconv.ParseBool(spec); err == nil {
		if on {
			return "mode=min", nil
		}
		return "", nil
	}
	var fields []string
	for _, f := range strings.Split(spec, ",") {
		k, v, _ := strings.Cut(f, "=")
		switch {
		case k == "mode" && (v == "min" || v == "max"):
		case k == "version" && (v == "v0.2" || v == "v1"):
		case k == "disabled" && v == "true":
			return "", nil
		case k == "mode" || k == "version":
			return "", fmt.Errorf("--provenance %q: %s=%s is not supported (mode=min|max, version=v0.2|v1)", spec, k, v)
		default:
			return "", fmt.Errorf("--provenance %q: write true, false, mode=min or mode=max", spec)
		}
		fields = append(fields, f)
	}
	return strings.Join(fields, ","), nil
}
