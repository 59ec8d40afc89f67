package daemon

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
)

var sizeSpec = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

// sizeUnits are decimal (kB = 1000 B, as docker's --storage-opt sizes and
// buildx's units) unless written with an i (KiB = 1024 B).
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20,
	"gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
}

// ParseSize reads a size such as 10GB, 512MB, 1.5GiB or 4096 (bytes).
// Units are case-insensitive; a fraction of a byte is dropped.
func ParseSize(s string) (int64, error) {
	m := sizeSpec.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("size %q: write a number and a unit, such as 10GB, 512MB or 1.5GiB", s)
	}
	unit, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, kB, MB, GB, TB, or KiB, MiB, GiB, TiB)", s, m[2])
	}
	r, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return 0, fmt.Errorf("size %q: bad number %q", s, m[1])
	}
	r.Mul(r, new(big.Rat).SetInt64(unit))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	if !n.IsInt64() {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n.Int64(), nil
}

// FormatSize writes bytes with a decimal unit, such as 1.5GB or 512B.
func FormatSize(n int64) string {
	if n < 1000 && n > -1000 {
		return fmt.Sprintf("%dB", n)
	}
	f := float64(n)
	for _, u := range []string{"kB", "MB", "GB", "TB", "PB"} {
		f /= 1000
		if math.Abs(f) < 999.95 || u == "PB" {
			return fmt.Sprintf("%.1f%s", f, u)
		}
	}
	return fmt.Sprintf("%dB", n)
}
