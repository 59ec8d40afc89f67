package initgen

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	// blockPlain are scalars that read back unchanged when written plain
	// as a mapping value or block list item.
	blockPlain = regexp.MustCompile(`^[A-Za-z0-9_/.$(-][ -~]*$`)
	// flowPlain are scalars that may stand plain inside [a, b].
	flowPlain = regexp.MustCompile(`^[A-Za-z0-9_/.$-][A-Za-z0-9_/.$=+@%-]*$`)
	// nonString are plain scalars YAML would read as numbers, booleans or
	// null.
	nonString = regexp.MustCompile(`(?i)^([-+]?(\.?[0-9][0-9_.eE+-]*|\.inf|0x[0-9a-f]+|0o[0-7]+)|\.nan|true|false|yes|no|on|off|y|n|null|~)$`)
)

// scalar writes s as a YAML scalar for a mapping value or list item.
func scalar(s string) string {
	if blockPlain.MatchString(s) && !nonString.MatchString(s) && !strings.Contains(s, ": ") &&
		!strings.Contains(s, " #") && !strings.HasSuffix(s, ":") && !strings.HasSuffix(s, " ") &&
		!strings.HasPrefix(s, "- ") && s != "-" {
		return s
	}
	return strconv.Quote(s)
}

// flow writes a list in flow style: [a, "b c"].
func flow(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		if flowPlain.MatchString(s) && !nonString.MatchString(s) && s != "-" {
			out[i] = s
		} else {
			out[i] = strconv.Quote(s)
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// shellWord quotes a word for /bin/sh when it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+-=:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writer builds the pipeline text; comments line up in one column.
type writer struct{ b strings.Builder }

const commentColumn = 44

func (w *writer) line(indent int, text, comment string) {
	l := strings.Repeat(" ", indent) + text
	if comment != "" {
		if pad := commentColumn - len(l); pad > 0 {
			l += strings.Repeat(" ", pad)
		} else {
			l += " "
		}
		l += "# " + comment
	}
	w.b.WriteString(l + "\n")
}

func (w *writer) comment(indent int, text string) {
	w.b.WriteString(strings.Repeat(" ", indent) + "#" + strings.TrimRight(" "+text, " ") + "\n")
}

func (w *writer) blank() { w.b.WriteString("\n") }

// list writes key: [a, b] for short lists of plain words, else a block.
func (w *writer) list(indent int, key string, items []string, comment string) {
	if len(items) == 0 {
		return
	}
	w.line(indent, key+": "+flow(items), comment)
}

// commands writes key: cmd for one command, else a block list.
func (w *writer) commands(indent int, key string, cmds []string) {
	switch len(cmds) {
	case 0:
	case 1:
		w.line(indent, key+": "+scalar(cmds[0]), "")
	default:
		w.line(indent, key+":", "")
		for _, c := range cmds {
			w.line(indent+2, "- "+scalar(c), "")
		}
	}
}

// command writes an entrypoint or cmd in exec form ([a, b]) or shell form.
func (w *writer) command(indent int, key string, c *Command) {
	switch {
	case c == nil:
	case c.Shell:
		w.line(indent, key+": "+scalar(c.Args[0]), "")
	default:
		w.line(indent, key+": "+flow(c.Args), "")
	}
}
