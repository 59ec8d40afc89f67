package build

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"

	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

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
