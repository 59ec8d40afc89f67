package buildflags

import (
	"fmt"
	"strings"
)

// ParseBuildArgs parses --build-arg KEY=VALUE values; a later KEY wins.
func ParseBuildArgs(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--build-arg %q: write KEY=VALUE", kv)
		}
		out[k] = v
	}
	return out, nil
}

// KeyValues parses a repeatable KEY=VALUE flag (--label, --annotation);
// nil when the list is empty, a later KEY wins.
func KeyValues(flag string, list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: write KEY=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}
