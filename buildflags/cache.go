package buildflags

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
)

// cacheTypes are the remote cache backends --cache-from and --cache-to take.
func cacheTypes() []string { return []string{"registry", "local", "inline"} }

// ParseCacheOption parses a --cache-from (export false) or --cache-to
// (export true) value in buildx syntax: "type=registry,ref=REF[,mode=max]",
// "type=local,src=DIR" or "type=local,dest=DIR", "type=inline", or a bare
// registry reference.
func ParseCacheOption(spec string, export bool) (client.CacheOptionsEntry, error) {
	flag := "--cache-from"
	if export {
		flag = "--cache-to"
	}
	e := client.CacheOptionsEntry{Attrs: map[string]string{}}
	if spec != "" && !strings.Contains(spec, "=") {
		spec = "type=registry,ref=" + spec
	}
	for _, field := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok || k == "" {
			return e, fmt.Errorf("%s %q: %q is not key=value (write type=registry,ref=REF or type=local,%s=DIR)", flag, spec, field, localKey(export))
		}
		if k = strings.ToLower(strings.TrimSpace(k)); k == "type" {
			e.Type = v
		} else {
			e.Attrs[k] = v
		}
	}
	switch e.Type {
	case "registry":
		ref, err := reference.ParseNormalizedNamed(e.Attrs["ref"])
		if err != nil {
			return e, fmt.Errorf("%s %q: ref: %v (write type=registry,ref=registry.example.com/app:cache)", flag, spec, err)
		}
		e.Attrs["ref"] = reference.TagNameOnly(ref).String()
	case "local":
		if e.Attrs[localKey(export)] == "" {
			return e, fmt.Errorf("%s %q: type=local needs %s=DIR", flag, spec, localKey(export))
		}
	case "inline":
	case "":
		return e, fmt.Errorf("%s %q: missing type= (one of %s)", flag, spec, strings.Join(cacheTypes(), ", "))
	default:
		return e, fmt.Errorf("%s %q: unsupported cache type %q (use one of %s)", flag, spec, e.Type, strings.Join(cacheTypes(), ", "))
	}
	if m, ok := e.Attrs["mode"]; ok && m != "min" && m != "max" {
		return e, fmt.Errorf("%s %q: mode=%s: use mode=min or mode=max", flag, spec, m)
	}
	return e, nil
}

func localKey(export bool) string {
	if export {
		return "dest"
	}
	return "src"
}
