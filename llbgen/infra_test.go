package llbgen

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runWrapper runs the test wrapper under shell with its result directory
// moved to a temp dir, the test being script.
func runWrapper(t *testing.T, shell []string, script string) (exit int, out string) {
	t.Helper()
	dir := t.TempDir()
	wrapper := strings.Replace(testWrapper, "r="+ResultDir+"\n", "r="+dir+"\n", 1)
	if wrapper == testWrapper {
		t.Fatal("the wrapper does not start with its result dir")
	}
	cmd := exec.Command(shell[0], append(shell[1:], "-c", wrapper, "stagebuild", "/bin/sh", "-c", script)...)
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "exit")); err != nil {
		t.Errorf("no exit code recorded: %v", err)
	}
	return exit, string(b)
}

// A failing test whose output shows an infrastructure failure fails the
// step (so no verdict is cached) and says so; any other result is
// recorded and the step succeeds.
func TestTestWrapperInfraFailure(t *testing.T) {
	shells := [][]string{{"/bin/sh"}}
	if _, err := os.Stat("/bin/busybox"); err == nil {
		shells = append(shells, []string{"/bin/busybox", "sh"}) // what a busybox image runs
	}
	tests := []struct {
		name, script string
		exit         int
		last         string
	}{
		{"pip behind a TLS-inspecting proxy", `echo "WARNING: Retrying after connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))'"; echo "ERROR: No matching distribution"; exit 1`,
			86, InfraLinePrefix + "WARNING: Retrying after connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))'"},
		{"proxy refused", `echo "requests.exceptions.ProxyError: HTTPSConnectionPool(host='x', port=443): Max retries exceeded"; exit 1`,
			86, InfraLinePrefix + "requests.exceptions.ProxyError: HTTPSConnectionPool(host='x', port=443): Max retries exceeded"},
		{"DNS", `echo "curl: (6) Could not resolve host: pypi.org"; exit 6`, 86, InfraLinePrefix + "curl: (6) Could not resolve host: pypi.org"},
		{"an ordinary failure", `echo "FAILED tests/test_app.py::test_x - assert 1 == 2"; exit 1`, 0, "FAILED tests/test_app.py::test_x - assert 1 == 2"},
		{"a pass that prints TLS words", `echo "test_tls_errors: certificate verify failed as expected"; exit 0`, 0, "test_tls_errors: certificate verify failed as expected"},
	}
	for _, sh := range shells {
		for _, tt := range tests {
			t.Run(filepath.Base(sh[0])+"/"+strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
				exit, out := runWrapper(t, sh, tt.script)
				lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
				if exit != tt.exit || lines[len(lines)-1] != tt.last {
					t.Errorf("exit %d, last line %q; want %d, %q\n%s", exit, lines[len(lines)-1], tt.exit, tt.last, out)
				}
			})
		}
	}
}

// When the test's shell is killed before it can record the exit code, the
// step fails (no verdict is cached) and says what the result directory
// held, rather than failing silently.
func TestTestWrapperUnrecordedExit(t *testing.T) {
	dir := t.TempDir()
	wrapper := strings.Replace(testWrapper, "r="+ResultDir+"\n", "r="+dir+"\n", 1)
	// The test kills the subshell that would record its exit code.
	cmd := exec.Command("/bin/sh", "-c", wrapper, "stagebuild", "/bin/sh", "-c", "echo started; kill -9 $PPID")
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("err %v, want exit 1\n%s", err, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "exit")); err == nil {
		if fi, _ := os.Stat(filepath.Join(dir, "exit")); fi.Size() != 0 {
			t.Fatal("the killed test's exit code was recorded: the test proves nothing")
		}
	}
	want := "stagebuild: the test's exit status could not be recorded in " + dir + ":"
	if !strings.Contains(string(b), want+"\n") || !strings.Contains(string(b), "log") {
		t.Errorf("output lacks %q and a listing of the result dir:\n%s", want, b)
	}
}
