package build

import (
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"time"
)

// Exporter attributes for reproducible outputs. source-date-epoch is what
// every exporter stamps: the image exporters clamp the config's created and
// history times to it, the tar and local exporters set every file's mtime to
// it. rewrite-timestamp makes the image exporters also clamp the mtimes
// inside the layers they write (base image layers are kept as they are).
const (
	attrSourceDateEpoch  = "source-date-epoch"
	attrRewriteTimestamp = "rewrite-timestamp"
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

// withEpoch returns outputs whose exporters stamp epoch, leaving attrs the
// user set alone. The caller's outputs are not modified.
func withEpoch(outputs map[string][]Output, epoch *time.Time) map[string][]Output {
	if epoch == nil {
		return outputs
	}
	sde := strconv.FormatInt(epoch.Unix(), 10)
	out := make(map[string][]Output, len(outputs))
	for target, list := range outputs {
		for _, o := range list {
			attrs := maps.Clone(o.Attrs)
			if attrs == nil {
				attrs = map[string]string{}
			}
			setDefault(attrs, attrSourceDateEpoch, sde)
			setDefault(attrs, attrRewriteTimestamp, "true")
			o.Attrs = attrs
			out[target] = append(out[target], o)
		}
	}
	return out
}

func setDefault(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// frontendAttrs are the solve's frontend attributes: the epoch as the
// SOURCE_DATE_EPOCH build arg (recorded in provenance) and the provenance
// request, which BuildKit's solver fulfils for a gateway build too without
// pulling any image. Never nil: BuildKit's client adds to a clone of it.
func (h HostConfig) frontendAttrs() map[string]string {
	m := map[string]string{}
	if h.SourceDateEpoch != nil {
		m["build-arg:SOURCE_DATE_EPOCH"] = strconv.FormatInt(h.SourceDateEpoch.Unix(), 10)
	}
	if h.Provenance != "" {
		m["attest:provenance"] = h.Provenance
	}
	return m
}

// entryTime is the mtime a tar entry unpacked to path had in the export.
type entryTime struct {
	path  string
	mtime time.Time
}

// restoreTimes gives unpacked entries their exported mtimes (the epoch, for
// a reproducible build), children before the directories that hold them.
func restoreTimes(times []entryTime) error {
	for i := len(times) - 1; i >= 0; i-- {
		t := times[i]
		if err := os.Chtimes(t.path, t.mtime, t.mtime); err != nil {
			return fmt.Errorf("setting the mtime of %s: %w", t.path, err)
		}
	}
	return nil
}
