package buildflags

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/moby/buildkit/client"
)

// Output is one parsed -o/--output, -t/--tag or --push request.
type Output struct {
	// Target is the stage this output belongs to; empty means the only
	// requested target.
	Target string
	Type   string
	Attrs  map[string]string
	// Spec is what the user wrote, for error messages.
	Spec string
	// Load feeds the written docker tar to `docker load` (--load).
	Load bool
}

// Dest is the file or directory an output writes, if any.
func (o Output) Dest() string { return o.Attrs["dest"] }

var (
	targetPrefix = regexp.MustCompile(`^([a-z0-9][a-z0-9_-]*)=(type=.*)$`)
	outputTypes  = []string{client.ExporterOCI, client.ExporterDocker, client.ExporterImage, client.ExporterLocal, client.ExporterTar, "registry"}
)

// ParseOutput parses one -o value in buildx syntax: "type=oci,dest=out.tar",
// "type=image,name=REF,push=true", a bare path (type=local), or any of those
// behind a target prefix: "service=type=oci,dest=svc.tar".
func ParseOutput(spec string) (Output, error) {
	o := Output{Spec: spec, Attrs: map[string]string{}}
	body := spec
	if m := targetPrefix.FindStringSubmatch(spec); m != nil {
		o.Target, body = m[1], m[2]
	}
	if body == "" {
		return o, fmt.Errorf("--output: empty value (write type=oci,dest=FILE.tar or a directory path)")
	}
	if !strings.Contains(body, "=") {
		o.Type = client.ExporterLocal
		o.Attrs["dest"] = body
		return o, nil
	}
	for _, field := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok || k == "" {
			return o, fmt.Errorf("--output %q: %q is not key=value (write type=oci,dest=FILE.tar)", spec, field)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "type" {
			o.Type = v
			continue
		}
		o.Attrs[k] = v
	}
	written := o.Type // what the user wrote, for messages: registry becomes image
	switch o.Type {
	case "":
		return o, fmt.Errorf("--output %q: missing type= (one of %s)", spec, strings.Join(outputTypes, ", "))
	case "registry":
		o.Type = client.ExporterImage
		o.Attrs["push"] = "true"
	case client.ExporterOCI, client.ExporterDocker, client.ExporterImage, client.ExporterLocal, client.ExporterTar:
	default:
		return o, fmt.Errorf("--output %q: unknown type %q (one of %s)", spec, o.Type, strings.Join(outputTypes, ", "))
	}
	switch o.Type {
	case client.ExporterLocal, client.ExporterTar:
		if o.Dest() == "" {
			return o, fmt.Errorf("--output %q: type=%s needs dest=PATH", spec, o.Type)
		}
	case client.ExporterOCI, client.ExporterDocker:
		if o.Dest() == "" {
			return o, fmt.Errorf("--output %q: type=%s needs dest=FILE.tar", spec, o.Type)
		}
	case client.ExporterImage:
		if o.Attrs["name"] == "" {
			return o, fmt.Errorf("--output %q: type=%s needs name=REF (or use -t REF)", spec, written)
		}
	}
	return o, nil
}

// TagOutput turns -t REF (or -t TARGET=REF) plus --push into an image output.
func TagOutput(tag string, push bool) (Output, error) {
	o := Output{Spec: tag, Type: client.ExporterImage, Attrs: map[string]string{}}
	if t, ref, ok := strings.Cut(tag, "="); ok {
		o.Target, tag = t, ref
	}
	if tag == "" || strings.ContainsAny(tag, " ,") {
		return o, fmt.Errorf("--tag %q: not an image reference (write -t registry/name:tag)", o.Spec)
	}
	o.Attrs["name"] = tag
	if push {
		o.Attrs["push"] = "true"
	}
	return o, nil
}

// AssignOutputs maps outputs to the requested targets. An output without a
// target prefix is allowed only when exactly one target is requested.
func AssignOutputs(outputs []Output, targets []string) (map[string][]Output, error) {
	byTarget := map[string][]Output{}
	valid := map[string]bool{}
	for _, t := range targets {
		valid[t] = true
	}
	for _, o := range outputs {
		if o.Target == "" {
			if len(targets) == 0 {
				return nil, fmt.Errorf("--output %q: no target is requested", o.Spec)
			}
			if len(targets) != 1 {
				return nil, fmt.Errorf("--output %q names no target but %d targets are requested (write %s=%s)",
					o.Spec, len(targets), targets[0], o.Spec)
			}
			o.Target = targets[0]
		}
		if !valid[o.Target] {
			names := append([]string(nil), targets...)
			sort.Strings(names)
			return nil, fmt.Errorf("output %q is for %q, which is not a requested target (requested: %s)",
				o.Spec, o.Target, strings.Join(names, ", "))
		}
		byTarget[o.Target] = append(byTarget[o.Target], o)
	}
	// Two outputs writing one path clobber each other, whether they belong
	// to one target or to two. Check in command-line order so the error is
	// deterministic.
	seen := map[string]Output{}
	for _, o := range outputs {
		d := o.Dest()
		if d == "" {
			continue
		}
		d = filepath.Clean(d)
		if first, dup := seen[d]; dup {
			return nil, fmt.Errorf("--output %q and --output %q both write %s (give each its own dest)", first.Spec, o.Spec, d)
		}
		seen[d] = o
	}
	return byTarget, nil
}
