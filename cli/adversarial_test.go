package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// badPipelines is the standing adversarial table (issue 13): each pipeline
// is refused through the CLI's own entry, before any daemon is reached, with
// exactly this one line on stderr and exit code 2. FILE stands for the
// pipeline's path. A pipeline is written as stagebuild.yaml in a fresh dir.
var badPipelines = []struct {
	name, yaml, want string
	args             []string // extra build args; the dir is appended
}{
	{"empty file", "", "FILE:1:1: the pipeline is empty (declare a stages: mapping with at least one stage)", nil},
	{"not a mapping", "- a\n- b\n", "FILE:1:1: the pipeline must be a mapping with a stages: key, got a list", nil},
	{"invalid YAML", "stages: [\n", "FILE:1:1: invalid YAML: did not find expected node content", nil},
	{"tab indentation", "stages:\n\tapp:\n", "FILE:2:1: invalid YAML: found character that cannot start any token", nil},
	{"no stages key", "version: 1\n", "FILE:1:1: the pipeline has no stages: key (declare at least one stage)", nil},
	{"stages empty", "stages: {}\n", "FILE:1:9: stages is empty (declare at least one stage)", nil},
	{"unsupported version", "version: 2\nstages:\n  app: {from: busybox:latest}\n", "FILE:1:10: unsupported version \"2\" (this stagebuild reads version 1)", nil},
	{"unknown top key", "stagez:\n  app: {from: busybox:latest}\n", "FILE:1:1: unknown key \"stagez\" in the pipeline (did you mean \"stages\"?)", nil},
	{"unknown stage key", "stages:\n  app: {from: busybox:latest, rn: echo}\n", "FILE:2:31: unknown key \"rn\" in stage \"app\" (did you mean \"run\"?)", nil},
	{"duplicate stage", "stages:\n  app: {from: busybox:latest}\n  app: {from: busybox:latest}\n", "FILE:3:3: duplicate stage \"app\" (first declared at 2:3; rename one of them)", nil},
	{"duplicate key", "stages:\n  app: {from: busybox:latest, from: alpine:3}\n", "FILE:2:31: duplicate key \"from\" in stage \"app\" (first set at 2:9)", nil},
	{"invalid stage name", "stages:\n  App!: {from: busybox:latest}\n", "FILE:2:3: invalid stage name \"App!\" (use lowercase letters, digits, - and _)", nil},
	{"stage without from", "stages:\n  app: {run: echo}\n", "FILE:2:3: stage \"app\" has no from: (name a base image such as python:3.11-slim-bookworm, or another stage)", nil},
	{"empty stage", "stages:\n  app:\n", "FILE:2:3: stage \"app\" is empty (give it at least from:)", nil},
	{"from a typo", "stages:\n  base: {from: busybox:latest}\n  app: {from: bse}\n", "FILE:3:15: from of stage \"app\": unknown stage \"bse\" (did you mean \"base\"? for an image, add a tag: bse:latest)", nil},
	{"invalid image ref", "stages:\n  app: {from: \"UPPER/Case:tag\"}\n", "FILE:2:15: from of stage \"app\": invalid image reference \"UPPER/Case:tag\": invalid reference format: repository name (Case) must be lowercase", nil},
	{"from cycle", "stages:\n  a: {from: b}\n  b: {from: a}\n", "FILE:2:13: stages form a cycle through from: a → b → a (one of them must start from an image)", nil},
	{"self cycle", "stages:\n  a: {from: a}\n", "FILE:2:13: stages form a cycle through from: a → a (one of them must start from an image)", nil},
	{"gated_by unknown", "stages:\n  app: {from: busybox:latest, gated_by: [tsts]}\n  tests: {from: busybox:latest, test: \"true\"}\n", "FILE:2:42: gated_by of stage \"app\": unknown stage \"tsts\" (did you mean \"tests\"?)", nil},
	{"gated_by non-gate", "stages:\n  app: {from: busybox:latest, gated_by: [lib]}\n  lib: {from: busybox:latest}\n", "FILE:2:42: gated_by of stage \"app\": stage \"lib\" is not a test stage (give it a test: command, or remove it from gated_by)", nil},
	{"gate gates itself", "stages:\n  t: {from: busybox:latest, test: \"true\", gated_by: [t]}\n", "FILE:2:54: gated_by of stage \"t\": a stage cannot gate itself", nil},
	{"copy outside context", "stages:\n  app: {from: busybox:latest, copy: [\"../secret\"]}\n", "FILE:2:38: copy of stage \"app\": \"../secret\" is outside the build context (use a path relative to the pipeline's directory)", nil},
	{"copy absolute", "stages:\n  app: {from: busybox:latest, copy: [/etc/passwd]}\n", "FILE:2:38: copy of stage \"app\": \"/etc/passwd\" is outside the build context (use a path relative to the pipeline's directory)", nil},
	{"relative workdir", "stages:\n  app: {from: busybox:latest, workdir: app}\n", "FILE:2:40: workdir of stage \"app\" must be an absolute path, got \"app\"", nil},
	{"relative cache", "stages:\n  app: {from: busybox:latest, cache: [.cache]}\n", "FILE:2:39: cache of stage \"app\": \".cache\" must be an absolute path such as /root/.cache/pip", nil},
	{"bad expose", "stages:\n  app: {from: busybox:latest, expose: [http]}\n", "FILE:2:40: expose of stage \"app\": \"http\" is not a port (write 3000 or 3000/tcp)", nil},
	{"relative reports", "stages:\n  t: {from: busybox:latest, test: \"true\", reports: out}\n", "FILE:2:52: reports of stage \"t\" must be an absolute directory such as /reports, got \"out\"", nil},
	{"empty test command", "stages:\n  t: {from: busybox:latest, test: \"\"}\n", "FILE:2:35: test of stage \"t\" is an empty command", nil},
	{"run not a command", "stages:\n  app: {from: busybox:latest, run: {a: b}}\n", "FILE:2:36: run of stage \"app\" must be a command or a list of commands, got a mapping", nil},
	{"env bad name", "stages:\n  app:\n    from: busybox:latest\n    env: {\"A-B\": x}\n", "FILE:4:11: invalid env name \"A-B\" in env of stage \"app\" (use letters, digits and _)", nil},
	{"unknown arg", "stages:\n  app: {from: \"busybox:${TAG}\"}\n", "FILE:2:15: unknown arg ${TAG} in from of stage \"app\" (declare it under args:)", nil},
	{"bad arg name", "args:\n  \"a-b\": x\nstages:\n  app: {from: busybox:latest}\n", "FILE:2:3: invalid arg name \"a-b\" (use letters, digits and _)", nil},
	{"default not a stage", "default: servce\nstages:\n  service: {from: busybox:latest}\n", "FILE:1:10: default target \"servce\" is not a stage (did you mean \"service\"?)", nil},
	{"allow_failure not bool", "stages:\n  t: {from: busybox:latest, test: \"true\", allow_failure: maybe}\n", "FILE:2:58: allow_failure of stage \"t\" must be true or false, got \"maybe\"", nil},
	{"check mode", "stages:\n  app:\n    from: busybox:latest\n    checks:\n      files:\n        - {path: /bin/sh, mode: \"999\"}\n", "FILE:6:33: checks.files[0].mode of stage \"app\": \"999\" is not an octal file mode up to 07777 (write it like \"0755\")", nil},
	{"check relative path", "stages:\n  app:\n    from: busybox:latest\n    checks:\n      files:\n        - {path: bin/sh}\n", "FILE:6:18: checks.files[0].path of stage \"app\": \"bin/sh\" is not an absolute path (such as /app)", nil},
	{"smoke without probe", "stages:\n  app:\n    from: busybox:latest\n    checks:\n      smoke: {timeout: 5s}\n", "FILE:5:14: checks.smoke of stage \"app\" has neither http:, tcp: nor log: (say how to tell that the service is ready, such as log: \"Listening at\")", nil},
	{"unknown service", "stages:\n  t: {from: busybox:latest, test: \"true\", services: [db]}\n", "FILE:2:54: services of stage \"t\": unknown service \"db\" (declare it under the top-level services:)", nil},
	{"secret id", "stages:\n  app:\n    from: busybox:latest\n    secrets: [\"bad id\"]\n", "FILE:4:15: secrets of stage \"app\": \"bad id\" is not a secret id (letters, digits, ., _ and -; it matches --secret id=...)", nil},
	{"unknown target", "stages:\n  app: {from: busybox:latest}\n", "unknown target \"ap\" (did you mean \"app\"?); valid targets: app", []string{"--target", "ap"}},
	{"reports dir is the context", "stages:\n  t: {from: busybox:latest, test: \"true\", reports: /r}\n  service: {from: busybox:latest, gated_by: [t]}\n",
		"--reports DIR: is the build context or contains it, so gate reports would replace the project's own directories (name a directory of its own, such as stagebuild-reports)",
		[]string{"--reports", "DIR"}},
}

func TestBadPipelines(t *testing.T) {
	if len(badPipelines) < 30 {
		t.Fatalf("the adversarial table has %d pipelines, want at least 30", len(badPipelines))
	}
	for _, tc := range badPipelines {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "stagebuild.yaml")
			if err := os.WriteFile(file, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			// A gate's directory that must survive the run untouched.
			if err := os.MkdirAll(filepath.Join(dir, "t"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "t", "src.py"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"build", "--progress", "plain", "-o", "type=oci,dest=" + filepath.Join(dir, "out.tar")}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			var out, errb bytes.Buffer
			t.Setenv("BUILDKIT_HOST", "unix:///nonexistent/stagebuild-adversarial.sock")
			code := Main(append(args, dir), Streams{Out: &out, Err: &errb})
			want := "stagebuild: " + strings.NewReplacer("FILE", file, "DIR", dir).Replace(tc.want) + "\n"
			if code != ExitUsage || errb.String() != want {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2, stderr:\n%s", code, errb.String(), want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout: %q", out.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "out.tar")); !os.IsNotExist(err) {
				t.Errorf("out.tar written: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "t", "src.py")); err != nil {
				t.Errorf("the project's t/src.py is gone: %v", err)
			}
		})
	}
}
