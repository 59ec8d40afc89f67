package verify

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/stagebuild/stagebuild/plan"
)

// Stat is what was observed about a path of the image.
type Stat struct {
	Exists bool
	// Mode holds the Unix permission bits with setuid (04000), setgid
	// (02000) and sticky (01000), as in chmod; UnixMode converts an
	// os.FileMode.
	Mode     uint32
	UID, GID uint32
	IsDir    bool
	// Content is read only when the check has Contains and the path is a
	// regular file.
	Content []byte
}

// UnixMode converts an os.FileMode to chmod bits for Stat.Mode.
func UnixMode(m os.FileMode) uint32 {
	bits := uint32(m.Perm())
	for flag, bit := range map[os.FileMode]uint32{os.ModeSetuid: 0o4000, os.ModeSetgid: 0o2000, os.ModeSticky: 0o1000} {
		if m&flag != 0 {
			bits |= bit
		}
	}
	return bits
}

// File judges a path against a file check. A path that should not exist,
// or that is missing, gets one failure and no further comparison.
func File(c plan.FileCheck, st Stat) []Failure {
	var out []Failure
	fail := func(format string, a ...any) []Failure {
		return append(out, Failure{Check: "files " + c.Path, Message: fmt.Sprintf(format, a...), Source: c.Source})
	}
	kind := "a file"
	if st.IsDir {
		kind = "a directory"
	}
	if !c.Exists {
		if st.Exists {
			return fail("expected no such path, found %s", kind)
		}
		return nil
	}
	if !st.Exists {
		return fail("expected the path to exist, found nothing")
	}
	if c.Mode != "" {
		want, err := strconv.ParseUint(strings.TrimPrefix(c.Mode, "0o"), 8, 32)
		if err != nil {
			out = fail("the check's mode %q is not octal", c.Mode)
		} else if got := st.Mode & 0o7777; uint32(want) != got {
			out = fail("expected mode %04o, found %04o", want, got)
		}
	}
	if c.Owner != "" {
		uid, gid, hasGID, ok := parseOwner(c.Owner)
		switch {
		case !ok:
			out = fail("the check's owner %q is not uid or uid:gid", c.Owner)
		case uid != st.UID || (hasGID && gid != st.GID):
			out = fail("expected owner %s, found %d:%d", c.Owner, st.UID, st.GID)
		}
	}
	if !c.Contains.IsZero() {
		switch {
		case st.IsDir:
			out = fail("expected a file with content matching %q, found a directory", c.Contains)
		case !c.Contains.Match(st.Content):
			out = fail("expected content matching %q, found no match in %d bytes%s", c.Contains, len(st.Content),
				tail("content", st.Content))
		}
	}
	return out
}

func parseOwner(s string) (uid, gid uint32, hasGID, ok bool) {
	u, g, hasGID := strings.Cut(s, ":")
	uid64, err1 := strconv.ParseUint(u, 10, 32)
	gid64, err2 := strconv.ParseUint(g, 10, 32)
	if !hasGID {
		err2 = nil
	}
	return uint32(uid64), uint32(gid64), hasGID, err1 == nil && err2 == nil
}
