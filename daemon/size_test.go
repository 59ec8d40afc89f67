package daemon

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0":         0,
		"4096":      4096,
		"512B":      512,
		"10GB":      10_000_000_000,
		"10gb":      10_000_000_000,
		"10 GB":     10_000_000_000,
		"512MB":     512_000_000,
		"1.5GiB":    1_610_612_736,
		"1.5gib":    1_610_612_736,
		"2k":        2000,
		"2KiB":      2048,
		"0.5kB":     500,
		"1.0001kB":  1000, // a fraction of a byte is dropped
		"3TiB":      3 << 40,
		" 7MiB ":    7 << 20,
		"8388607Ti": 8388607 << 40,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":          "write a number and a unit",
		"GB":        "write a number and a unit",
		"-1GB":      "write a number and a unit",
		"1e9":       "write a number and a unit",
		"1.GB":      "write a number and a unit",
		"10XB":      `unknown unit "XB"`,
		"1 0GB":     "write a number and a unit",
		"9300000TB": "too large",
		"8388608Ti": "too large",
		"9999999Ti": "too large",
	} {
		if _, err := ParseSize(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSize(%q): %v, want an error with %q", in, err, want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 999: "999B", 1000: "1.0kB", 1500: "1.5kB", 999_949: "999.9kB", 999_950: "1.0MB",
		150_400_000: "150.4MB", 1_610_612_736: "1.6GB", 21_474_836_480: "21.5GB", 3 << 50: "3.4PB", 5e18: "5000.0PB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %s, want %s", n, got, want)
		}
	}
	// What FormatSize writes, ParseSize reads back to within its rounding.
	for _, n := range []int64{1234, 5_678_901, 21_474_836_480} {
		back, err := ParseSize(FormatSize(n))
		if err != nil || back < n*95/100 || back > n*105/100 {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
		}
	}
}
