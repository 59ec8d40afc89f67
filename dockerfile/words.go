package dockerfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// safeWord matches words that the Dockerfile lexer reads back unchanged
// when written bare.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9_./:@%+,-]+$`)

// envName is a name the lexer expands in ${NAME}.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// escapeQuoted escapes s for the inside of a double-quoted Dockerfile word:
// there the lexer takes \\, \" and \$ as the escaped character and expands
// any other $.
func escapeQuoted(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
	return r.Replace(s)
}

// word writes s as one Dockerfile word that the lexer reads back as s, with
// no variable expansion: for WORKDIR, USER, LABEL, EXPOSE.
func word(what, s string) (string, error) {
	if strings.ContainsAny(s, "\n\r\x00") {
		return "", fmt.Errorf("%s %q: a Dockerfile instruction cannot hold a line break", what, s)
	}
	if safeWord.MatchString(s) {
		return s, nil
	}
	return `"` + escapeQuoted(s) + `"`, nil
}

// envValue writes an env value as a double-quoted Dockerfile word that
// expands as stagebuild expands it: every $NAME and ${NAME} that os.Expand
// sees becomes ${NAME} (the env built so far), and everything else is
// literal. A reference os.Expand resolves to nothing, such as $1 or
// ${A:-b}, is dropped, since no env key has such a name.
func envValue(key, v string) (string, error) {
	const mark = "\x00"
	if strings.ContainsAny(v, "\n\r"+mark) {
		return "", fmt.Errorf("env %s: a Dockerfile ENV cannot hold a line break", key)
	}
	parts := strings.Split(os.Expand(v, func(name string) string { return mark + name + mark }), mark)
	var b strings.Builder
	b.WriteByte('"')
	for i, p := range parts {
		switch {
		case i%2 == 0:
			b.WriteString(escapeQuoted(p))
		case envName.MatchString(p):
			b.WriteString("${" + p + "}")
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// jsonArgs writes an argv in the JSON (exec) form of RUN, ENTRYPOINT, CMD.
func jsonArgs(args []string) string {
	if args == nil {
		args = []string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(args) // []string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonWords writes paths in the JSON form of COPY. The lexer still reads
// each element as an unquoted word, where a backslash escapes any
// character: escape the ones it would take for quotes or expansion.
func jsonWords(words []string) string {
	r := strings.NewReplacer(`\`, `\\`, `$`, `\$`, `"`, `\"`, `'`, `\'`)
	esc := make([]string, len(words))
	for i, w := range words {
		esc[i] = r.Replace(w)
	}
	return jsonArgs(esc)
}

// flagValue checks the value of a plain flag such as --exclude, which the
// parser splits on whitespace and the lexer expands.
func flagValue(what, v string) (string, error) {
	if v == "" || strings.ContainsAny(v, " \t\n\r\"'$\\") {
		return "", fmt.Errorf("%s %q: a Dockerfile flag cannot be empty or hold whitespace, quotes, '$' or '\\'", what, v)
	}
	return v, nil
}

// mountValue checks a value of a --mount flag: the flag is a CSV list whose
// values the lexer expands, so a few characters cannot be written plainly.
func mountValue(what, v string) (string, error) {
	if v == "" || strings.ContainsAny(v, " \t\n\r,\"'$\\=") {
		return "", fmt.Errorf("%s %q: a Dockerfile --mount value cannot be empty or hold whitespace, quotes, commas, '=', '$' or '\\'", what, v)
	}
	return v, nil
}

// shellCommand writes a shell-form command so that the Dockerfile parser
// passes exactly it to /bin/sh -c. A single plain line is written as is;
// anything the parser would read differently (line breaks, a trailing
// backslash, a leading '[' that looks like JSON, '<<' that looks like a
// heredoc) goes into a quoted heredoc, whose body reaches the shell
// verbatim.
func shellCommand(cmd string) string {
	trimmed := strings.TrimSpace(cmd)
	plain := trimmed != "" && !strings.ContainsAny(cmd, "\n\r") &&
		!strings.HasPrefix(trimmed, "[") && !strings.HasSuffix(trimmed, `\`) && !strings.Contains(cmd, "<<")
	if plain {
		return trimmed
	}
	body := cmd
	if strings.HasPrefix(body, "#!") {
		// A heredoc starting with #! would run as a script of its own
		// interpreter; under sh -c that line is a comment. Keep it one.
		body = "\n" + body
	}
	delim := "STAGEBUILD_EOF"
	for n := 1; hasLine(body, delim); n++ {
		delim = fmt.Sprintf("STAGEBUILD_EOF_%d", n)
	}
	return "<<'" + delim + "'\n" + body + "\n" + delim
}

func hasLine(body, line string) bool {
	for _, l := range strings.Split(body, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
