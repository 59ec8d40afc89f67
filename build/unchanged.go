package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/moby/buildkit/exporter/containerimage/exptypes"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/state"
)

// unchanged decides whether a tar output (type=oci or docker, or --load)
// needs writing at all. The exporter hands its response (the manifest and
// config digests) to the client before it sends the tar; when the file at
// dest is the one stagebuild wrote for the same manifest and exporter
// attributes, unchanged since (size, mtime, inode, ctime: state.Unchanged), or
// when every --load name already is that image in the Docker engine, the
// tar is not sent, and the summary says "unchanged".
type unchanged struct {
	// key is the manifest digest and the exporter attributes; "" when the
	// exporter gave no digest (the file is then never skipped).
	key string
	// load is set for a --load output, whose names are checked in the
	// engine instead of a file.
	load    bool
	skipped bool
}

// check decides for the output o to dest, given the exporter's response
// md; it reports whether the export can be skipped.
func (u *unchanged) check(o buildflags.Output, dest string, md map[string]string) bool {
	u.load = o.Load
	if o.Load {
		u.skipped = inDocker(strings.Split(o.Attrs["name"], ","), md[exptypes.ExporterImageConfigDigestKey])
		return u.skipped
	}
	u.key = outputKey(o, md)
	u.skipped = state.Unchanged(dest, u.key)
	return u.skipped
}

// record remembers the file just written at dest for the next build. A
// failure only costs the next build its skip.
func (u *unchanged) record(dest string) {
	if !u.load {
		_ = state.RecordOutput(dest, u.key)
	}
}

// outputKey hashes what the tar's bytes depend on: the manifest digest,
// the exporter type and its attributes (names, annotations, media types),
// not where it is written.
func outputKey(o buildflags.Output, md map[string]string) string {
	dgst := md[exptypes.ExporterImageDigestKey]
	if dgst == "" {
		return ""
	}
	keys := make([]string, 0, len(o.Attrs))
	for k := range o.Attrs {
		if k != "dest" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte(dgst + "\x00" + o.Type + "\x00"))
	for _, k := range keys {
		h.Write([]byte(k + "=" + o.Attrs[k] + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// inDocker reports whether every name is the image id in the local
// Docker engine (an image's id is its config digest).
func inDocker(names []string, id string) bool {
	if id == "" || len(names) == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", append([]string{"image", "inspect", "--format", "{{.Id}}"}, names...)...)
	cmd.Stdout = &out
	if cmd.Run() != nil {
		return false
	}
	ids := strings.Fields(out.String())
	if len(ids) != len(names) {
		return false
	}
	for _, got := range ids {
		if got != id {
			return false
		}
	}
	return true
}
