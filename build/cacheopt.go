package build

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// CacheTypes returns the remote cache backends --cache-from and --cache-to
// take.
func CacheTypes() []string { return []string{"registry", "local", "inline"} }

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
		return e, fmt.Errorf("%s %q: missing type= (one of %s)", flag, spec, strings.Join(CacheTypes(), ", "))
	default:
		return e, fmt.Errorf("%s %q: unsupported cache type %q (use one of %s)", flag, spec, e.Type, strings.Join(CacheTypes(), ", "))
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

// cacheForTarget gives each target of a multi-target build its own cache
// entry, so their exports do not overwrite each other: a registry ref gets
// the target appended to its tag, a local cache a tag of its own. Imports
// read every target's entry, so shared stages hit whichever wrote them.
func cacheForTarget(entries []client.CacheOptionsEntry, target string, targets []string, export bool) []client.CacheOptionsEntry {
	if len(targets) < 2 {
		return entries
	}
	var out []client.CacheOptionsEntry
	for _, e := range entries {
		names := targets
		if export {
			names = []string{target}
		}
		for _, name := range names {
			c := client.CacheOptionsEntry{Type: e.Type, Attrs: maps.Clone(e.Attrs)}
			switch e.Type {
			case "registry":
				c.Attrs["ref"] = e.Attrs["ref"] + "-" + name
			case "local":
				tag := e.Attrs["tag"]
				if tag == "" {
					tag = "latest"
				}
				c.Attrs["tag"] = tag + "-" + name
			default:
				if name != target {
					continue
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// presentImports drops local cache imports whose directory or tag does not
// exist yet (a first CI run), which BuildKit would reject outright.
func presentImports(entries []client.CacheOptionsEntry) []client.CacheOptionsEntry {
	var out []client.CacheOptionsEntry
	for _, e := range entries {
		if e.Type == "local" && e.Attrs["digest"] == "" && !localTagExists(e.Attrs["src"], e.Attrs["tag"]) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func localTagExists(dir, tag string) bool {
	if tag == "" {
		tag = "latest"
	}
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return false
	}
	var idx ocispecs.Index
	if json.Unmarshal(data, &idx) != nil {
		return false
	}
	for _, m := range idx.Manifests {
		if m.Annotations[ocispecs.AnnotationRefName] == tag {
			return true
		}
	}
	return false
}
