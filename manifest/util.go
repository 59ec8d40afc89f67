package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/pelletier/go-toml/v2"
)

// unwrapPathErr drops the path from an fs error, which callers name
// themselves.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, fs.ErrNotExist) {
			return errors.New("no such file")
		}
		return pe.Err
	}
	return err
}

// tomlErr names the file and position of a TOML decoding error.
func tomlErr(file string, err error, fix string) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Errorf("%s:%d:%d: invalid TOML: %s (%s)", file, row, col, quoteControl(strings.TrimPrefix(de.Error(), "toml: ")), fix)
	}
	return fmt.Errorf("%s: invalid TOML: %s (%s)", file, quoteControl(err.Error()), fix)
}

// quoteControl writes the control characters a decoder quotes from the
// file (go-toml: "invalid character at start of key: \n") as Go rune
// literals, so the error stays one line.
func quoteControl(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			b.WriteString(strconv.QuoteRune(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// jsonErr names the file and line of a JSON decoding error.
func jsonErr(file string, data []byte, err error, fix string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	if errors.As(err, &se) {
		off = se.Offset
	} else if errors.As(err, &te) {
		off = te.Offset
	}
	if off >= 0 && off <= int64(len(data)) {
		line := 1 + strings.Count(string(data[:off]), "\n")
		return fmt.Errorf("%s:%d: invalid JSON: %v (%s)", file, line, err, fix)
	}
	return fmt.Errorf("%s: invalid JSON: %v (%s)", file, err, fix)
}

// sortedKeys returns the keys of a set, sorted.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shq quotes a word for /bin/sh when it needs it.
func shq(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+-=:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
