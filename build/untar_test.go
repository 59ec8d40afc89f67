package build

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tarOf(t *testing.T, entries []tar.Header, bodies map[string]string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		h.Size = int64(len(bodies[h.Name]))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(bodies[h.Name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func TestExtractTar(t *testing.T) {
	dir := t.TempDir()
	buf := tarOf(t, []tar.Header{
		{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "app/run.sh", Typeflag: tar.TypeReg, Mode: 0o755},
		{Name: "app/link", Typeflag: tar.TypeSymlink, Linkname: "run.sh"},
		{Name: "app/hard", Typeflag: tar.TypeLink, Linkname: "app/run.sh"},
		{Name: "dev/null", Typeflag: tar.TypeChar, Mode: 0o666},
	}, map[string]string{"app/run.sh": "#!/bin/sh\necho hi\n"})
	if err := extractTar(buf, dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "app", "run.sh"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("run.sh: %v %v", fi, err)
	}
	if l, err := os.Readlink(filepath.Join(dir, "app", "link")); err != nil || l != "run.sh" {
		t.Errorf("symlink: %q %v", l, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "app", "hard")); err != nil || !strings.Contains(string(b), "echo hi") {
		t.Errorf("hardlink: %q %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "dev", "null")); !os.IsNotExist(err) {
		t.Errorf("device node was created: %v", err)
	}
}

func TestExtractTarStaysInside(t *testing.T) {
	outer := t.TempDir()
	dir := filepath.Join(outer, "out")
	for _, h := range []tar.Header{
		{Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644},
		{Name: "x", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"},
	} {
		err := extractTar(tarOf(t, []tar.Header{h}, nil), dir)
		if h.Typeflag == tar.TypeReg {
			// "../escape" is cleaned to "/escape" under dir, never outside it.
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(outer, "escape")); !os.IsNotExist(err) {
				t.Errorf("entry escaped the output dir")
			}
			continue
		}
		// Confined to dir, the link target does not exist: an error is right.
		if want := "unpacking x: statat etc/passwd: no such file or directory"; err == nil || err.Error() != want {
			t.Errorf("hardlink to ../../etc/passwd: %v", err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "x")); len(b) > 0 && strings.Contains(string(b), "root:") {
			t.Errorf("hardlink reached outside the output dir")
		}
	}
}
