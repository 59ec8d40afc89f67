package testenv

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// defaultMirror is used when the host's apt sources name no bookworm mirror.
const defaultMirror = "http://deb.debian.org/debian"

// debianMirror returns the host's apt mirror for bookworm.
func debianMirror() string {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			if m := mirrorFromDeb822(string(b)); m != "" {
				return m
			}
		}
	}
	if b, err := os.ReadFile("/etc/apt/sources.list"); err == nil {
		if m := mirrorFromList(string(b)); m != "" {
			return m
		}
	}
	return defaultMirror
}

// mirrorFromDeb822 returns the first URI of a "deb" stanza whose Suites
// include bookworm.
func mirrorFromDeb822(text string) string {
	for _, stanza := range strings.Split(text, "\n\n") {
		fields := map[string][]string{}
		for _, line := range strings.Split(stanza, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, " ") {
				fields[strings.ToLower(k)] = strings.Fields(v)
			}
		}
		if has(fields["types"], "deb") && has(fields["suites"], "bookworm") && len(fields["uris"]) > 0 {
			return fields["uris"][0]
		}
	}
	return ""
}

// mirrorFromList returns the URI of the first "deb URI bookworm ..." line.
func mirrorFromList(text string) string {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") { // options: [arch=amd64 signed-by=...]
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) >= 2 && f[1] == "bookworm" {
			return f[0]
		}
	}
	return ""
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// removeRootfs unmounts anything a failed debootstrap left mounted under dir
// (deepest first), then deletes dir.
func removeRootfs(dir string) error {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var mounts []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			mounts = append(mounts, f[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	for _, m := range mounts {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	return os.RemoveAll(dir)
}
