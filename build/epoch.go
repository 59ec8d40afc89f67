package build

import (
	"maps"
	"strconv"
	"time"

	"github.com/stagebuild/stagebuild/buildflags"
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

// withEpoch returns outputs whose exporters stamp epoch, leaving attrs the
// user set alone. The caller's outputs are not modified.
func withEpoch(outputs map[string][]buildflags.Output, epoch *time.Time) map[string][]buildflags.Output {
	if epoch == nil {
		return outputs
	}
	sde := strconv.FormatInt(epoch.Unix(), 10)
	out := make(map[string][]buildflags.Output, len(outputs))
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
