package integration

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type badInput struct {
	name string
	dir  string
	env  []string
	args []string
	code int
	// line is the exact last line, or a prefix when it ends in "…".
	line string
}

// Bad input gets one line naming the problem and an exact exit code.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	example := filepath.Join(repoRoot, "examples", "python-service")
	broken := t.TempDir()
	writeFile(t, filepath.Join(broken, "stagebuild.yaml"), "version: 1\nstages:\n  deps:\n    from: python:3.11\n    workdri: /app\n")
	const sum = "sha256:7cc9c41b43d583e34c781fd3446405b06e9c5fa2db468ce2a534d353db6429e5"
	unpinned, variants := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(unpinned, "stagebuild.yaml"), "version: 1\nstages:\n  uv:\n    from: python:3.11\n    copy:\n"+
		"      - {url: \"https://example.com/uv.whl\", to: /tmp/uv.whl}\n")
	writeFile(t, filepath.Join(variants, "stagebuild.yaml"), "version: 1\nstages:\n  uv:\n    from: python:3.11\n    copy:\n"+
		"      - {url: \"https://example.com/uv.whl\", checksum: "+sum+", to: /tmp/uv.whl, platform: [linux/amd64, linux/arm64]}\n")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().String()
	l.Close()

	cases := []badInput{
		{"unknown target", example, nil, []string{"build", "--target", "servce"}, 2,
			`stagebuild: unknown target "servce" (did you mean "service"?); valid targets: deps, test_deps, builder, tests_builder, tests, lint_deps, lint, localdev, service`},
		{"bad output type", example, nil, []string{"build", "-o", "type=zip,dest=x"}, 2,
			`stagebuild: --output "type=zip,dest=x": unknown type "zip" (one of oci, docker, image, local, tar, registry)`},
		{"output without dest", example, nil, []string{"build", "-o", "type=oci"}, 2,
			`stagebuild: --output "type=oci": type=oci needs dest=FILE.tar`},
		{"ambiguous output", example, nil, []string{"build", "--target", "service", "--target", "localdev", "-o", "type=oci,dest=x.tar"}, 2,
			`stagebuild: --output "type=oci,dest=x.tar" names no target but 2 targets are requested (write service=type=oci,dest=x.tar)`},
		{"bad progress", example, nil, []string{"build", "--progress", "fancy"}, 2,
			`stagebuild: --progress "fancy": must be one of auto, plain, tty, rawjson, quiet`},
		{"tty without a terminal", example, nil, []string{"build", "--progress", "tty"}, 2,
			`stagebuild: --progress tty: stderr is not a terminal (use --progress auto or plain)`},
		{"push without tag", example, nil, []string{"build", "--push"}, 2,
			`stagebuild: --push needs an image name: add -t REF`},
		{"unknown flag", example, nil, []string{"build", "--bogus"}, 2,
			`stagebuild: unknown flag: --bogus (see 'stagebuild build --help')`},
		{"missing pipeline", t.TempDir(), nil, []string{"build"}, 2,
			`stagebuild: stagebuild.yaml: no such file (create one, or pass -f FILE)`},
		{"pipeline typo", broken, nil, []string{"build"}, 2,
			`stagebuild: stagebuild.yaml:5:5: unknown key "workdri" in stage "deps" (did you mean "workdir"?)`},
		{"fetch without checksum", unpinned, nil, []string{"build", "--target", "uv"}, 2,
			`stagebuild: stagebuild.yaml:6:15: url of a copy of stage "uv" has no checksum: (add checksum: sha256:<64 hex digits> of the file, as sha256sum prints it)`},
		{"fetch for a platform it has no url for", variants, nil, []string{"build", "--target", "uv", "--platform", "linux/riscv64"}, 2,
			`stagebuild: stagebuild.yaml:6:9: stage "uv" fetches /tmp/uv.whl for linux/amd64, linux/arm64 only, and this build is for linux/riscv64 ` +
				`(add a url: entry with platform: linux/riscv64, or build with --platform linux/amd64)`},
		{"unreachable unix addr", example, nil, []string{"build", "--addr", "unix:///nonexistent/buildkitd.sock"}, 1,
			`stagebuild: cannot reach buildkitd at unix:///nonexistent/buildkitd.sock: …`},
		{"unreachable tcp addr", example, nil, []string{"build", "--addr", "tcp://" + closedPort}, 1,
			`stagebuild: cannot reach buildkitd at tcp://` + closedPort + `: …`},
	}
	// With an empty state dir there is no local daemon to reuse, so these
	// reach the binary checks.
	noDaemon := "STAGEBUILD_HOME=" + t.TempDir()
	cases = append(cases, []badInput{
		{"missing buildkitd", example, []string{noDaemon, "STAGEBUILD_BUILDKITD=/nonexistent/buildkitd"}, []string{"build"}, 1,
			"stagebuild: STAGEBUILD_BUILDKITD=/nonexistent/buildkitd: no such file (build it with `make bin/buildkitd`, or unset it)"},
		{"missing runc", example, []string{noDaemon, "PATH=/nonexistent"}, []string{"build"}, 1,
			"stagebuild: runc not found on PATH: install it (Debian/Ubuntu: apt-get install runc), or set BUILDKIT_HOST to a running daemon"},
	}...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := stagebuildEnv(t, c.dir, c.env, c.args...)
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if r.code != c.code {
				t.Errorf("exit %d, want %d", r.code, c.code)
			}
			if prefix, ok := strings.CutSuffix(c.line, "…"); ok {
				if !strings.HasPrefix(last, prefix) || !strings.Contains(last, "unset both to use the local daemon") {
					t.Errorf("got  %s\nwant %s", last, c.line)
				}
			} else if last != c.line {
				t.Errorf("got  %s\nwant %s", last, c.line)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace in output:\n%s", r.stderr)
			}
			if len(lines) != 1 {
				t.Errorf("%d lines of output, want 1:\n%s", len(lines), r.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(example, "x.tar")); !os.IsNotExist(err) {
		t.Errorf("a failed invocation wrote x.tar")
	}
}
