package testenv

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/cmd/buildkitd/config"
)

func TestImageKeyFollowsRecipe(t *testing.T) {
	spec, err := pythonImage()
	if err != nil {
		t.Fatal(err)
	}
	base := spec.recipe.(pythonRecipe)
	key := func(mod func(r *pythonRecipe, s *imageSpec)) string {
		r, s := base, spec
		r.Include = append([]string(nil), base.Include...)
		r.CAs = map[string]string{}
		for k, v := range base.CAs {
			r.CAs[k] = v
		}
		mod(&r, &s)
		s.recipe = r
		k, err := s.key()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	want := key(func(*pythonRecipe, *imageSpec) {})
	if again := key(func(*pythonRecipe, *imageSpec) {}); again != want {
		t.Fatalf("key is not stable: %s then %s", want, again)
	}
	for name, mod := range map[string]func(*pythonRecipe, *imageSpec){
		"include": func(r *pythonRecipe, _ *imageSpec) { r.Include = append(r.Include, "git") },
		"mirror":  func(r *pythonRecipe, _ *imageSpec) { r.Mirror = "http://example.invalid/debian" },
		"ca":      func(r *pythonRecipe, _ *imageSpec) { r.CAs["extra.crt"] = "00" },
		"suite":   func(r *pythonRecipe, _ *imageSpec) { r.Suite = "trixie" },
		"steps":   func(r *pythonRecipe, _ *imageSpec) { r.Steps = r.Steps[1:] },
		"cmd":     func(_ *pythonRecipe, s *imageSpec) { s.config.Cmd = []string{"bash"} },
	} {
		if got := key(mod); got == want {
			t.Errorf("changing the %s left the key at %s", name, got)
		}
	}
}

func TestMirrorParsing(t *testing.T) {
	deb822 := `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`
	if got := mirrorFromDeb822(deb822); got != "http://deb.debian.org/debian" {
		t.Errorf("deb822: got %q", got)
	}
	if got := mirrorFromDeb822("Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n"); got != "" {
		t.Errorf("deb822 without bookworm: got %q", got)
	}
	list := "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n" +
		"# deb http://old/debian bookworm main\n" +
		"deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib\n"
	if got := mirrorFromList(list); got != "http://mirror.example/debian" {
		t.Errorf("sources.list: got %q", got)
	}
}

func TestBuildkitdTOML(t *testing.T) {
	cfg, err := config.Load(strings.NewReader(buildkitdTOML))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Workers.OCI.Enabled == nil || !*cfg.Workers.OCI.Enabled || cfg.Workers.Containerd.Enabled == nil || *cfg.Workers.Containerd.Enabled {
		t.Error("want the OCI worker on and the containerd worker off")
	}
	if m := cfg.Registries["docker.io"].Mirrors; len(m) != 1 || m[0] != RegistryAddr {
		t.Errorf("docker.io mirrors = %v, want [%s]", m, RegistryAddr)
	}
	reg := cfg.Registries[RegistryAddr]
	if reg.PlainHTTP == nil || !*reg.PlainHTTP || reg.Insecure == nil || !*reg.Insecure {
		t.Errorf("%s must be http and insecure: %+v", RegistryAddr, reg)
	}
	if cfg.Workers.OCI.GCReservedSpace.Bytes == 0 || cfg.Workers.OCI.GCMaxUsedSpace.Bytes == 0 {
		t.Error("want GC limits on the OCI worker")
	}
}

func TestBusyboxRootfs(t *testing.T) {
	bb, err := os.ReadFile(busyboxPath)
	if err != nil {
		t.Fatalf("no %s (make env installs busybox-static): %v", busyboxPath, err)
	}
	var a, b bytes.Buffer
	if err := writeBusyboxRootfs(context.Background(), bb, &a); err != nil {
		t.Fatal(err)
	}
	writeBusyboxRootfs(context.Background(), bb, &b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("busybox rootfs tar is not deterministic")
	}
	got := map[string]*tar.Header{}
	tr := tar.NewReader(&a)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
	}
	if h := got["bin/sh"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "busybox" {
		t.Errorf("bin/sh = %+v, want a symlink to busybox", h)
	}
	if h := got["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("tmp/ = %+v, want mode 1777", h)
	}
	if got["etc/passwd"] == nil || got["bin/busybox"] == nil {
		t.Error("missing etc/passwd or bin/busybox")
	}
}

func TestStateDir(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", "/sb")
	t.Setenv("XDG_STATE_HOME", "/xdg")
	if got, _ := StateDir(); got != "/sb" {
		t.Errorf("with STAGEBUILD_HOME: %s", got)
	}
	t.Setenv("STAGEBUILD_HOME", "")
	if got, _ := StateDir(); got != "/xdg/stagebuild" {
		t.Errorf("with XDG_STATE_HOME: %s", got)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got, _ := StateDir(); got != "/home/u/.local/state/stagebuild" {
		t.Errorf("default: %s", got)
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "testenv", "buildkitd.toml")); err != nil {
		t.Errorf("RepoRoot() = %s: %v", root, err)
	}
}
