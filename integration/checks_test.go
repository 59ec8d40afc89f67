package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every check kind passes on the busybox image, and each broken expectation
// fails the build with exit 3, names the check, and exports nothing.
func TestImageChecks(t *testing.T) {
	t.Parallel()
	dir := copyTestdata(t, "checks")
	r := stagebuild(t, dir, "build", "--progress", "plain", "-o", "type=oci,dest=out.tar").mustSucceed(t)
	if !strings.Contains(r.stderr, "checks of image: 6 passed") {
		t.Errorf("no checks summary:\n%s", tail(r.stderr, 20))
	}
	if _, err := os.Stat(filepath.Join(dir, "out.tar")); err != nil {
		t.Fatalf("passing checks: %v", err)
	}
	orig, _ := os.ReadFile(filepath.Join(dir, "stagebuild.yaml"))
	cases := []struct {
		name, from, to, want string
	}{
		{"file mode", `mode: "0644"`, `mode: "0600"`, "mode"},
		{"file owner", `owner: "0:0"`, `owner: "1000"`, "owner"},
		{"file content", `contains: "^hello from"`, `contains: "^goodbye"`, "goodbye"},
		{"file absent", "path: /srv/tests", "path: /srv/hello.txt", "/srv/hello.txt"},
		{"command stdout", `stdout: "^1000$"`, `stdout: "^0$"`, "runs as uid 1000"},
		{"command exit", "exit: 127", "exit: 0", "a missing command fails"},
		{"metadata env", `MODE: "prod"`, `MODE: "dev"`, "MODE"},
		{"metadata user", `user: "1000"`, `user: "0"`, "user"},
		{"smoke http", "path: /hello.txt", "path: /missing.txt", "404"},
		{"smoke log", `log: "server starting"`, `log: "never printed"`, "never printed"},
		{"smoke crash", "exec httpd", "exec no-such-server", "exited before it was ready"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			text := strings.Replace(string(orig), c.from, c.to, 1)
			if text == string(orig) {
				t.Fatalf("substitution %q did not apply", c.from)
			}
			writeFile(t, filepath.Join(dir, c.name+".yaml"), text)
			dest := filepath.Join(dir, "out-"+strings.ReplaceAll(c.name, " ", "-")+".tar")
			r := stagebuild(t, dir, "build", "-f", filepath.Join(dir, c.name+".yaml"), "--progress", "quiet", "-o", "type=oci,dest="+dest)
			if r.code != 3 {
				t.Fatalf("exit %d, want 3\n%s", r.code, tail(r.stderr, 30))
			}
			if !strings.Contains(r.stderr, "checks of image") || !strings.Contains(r.stderr, c.want) {
				t.Errorf("output lacks %q:\n%s", c.want, tail(r.stderr, 30))
			}
			if _, err := os.Stat(dest); !os.IsNotExist(err) {
				t.Errorf("%s was written although a check failed", dest)
			}
		})
	}
}
