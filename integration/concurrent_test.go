package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer that a running command writes while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// While another build holds the base image and the gate's result directory
// on a daemon that has just started (it pulled and made them first), a
// build done before is done again with nothing run: its steps, its gate's
// test and its command check are all cached (issue 13, item 10). Before the
// fix, that build joined the other build's vertices for the base and the
// result directory, which had run instead of coming from the cache, and
// BuildKit found none of the cache of the steps on top of them.
func TestCachedWhileAnotherBuildHoldsBase(t *testing.T) {
	t.Parallel()
	fresh := freshDaemonEnv(t)
	holder, project := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(holder, "stagebuild.yaml"), `version: 1
stages:
  service:
    from: busybox:latest
    run: echo holder
    gated_by: [slow]
  slow:
    from: busybox:latest
    test: sleep 300
`)
	writeFile(t, filepath.Join(project, "stagebuild.yaml"), `version: 1
stages:
  service:
    from: busybox:latest
    run: echo `+randomID()+` > /step
    gated_by: [quick]
    checks:
      commands:
        - {name: step ran, run: [cat, /step]}
  quick:
    from: busybox:latest
    test: echo quick test
`)

	// The holder starts first on the empty daemon: it pulls busybox and
	// makes the result directory, then holds them while its test sleeps.
	holderErr := &lockedBuffer{}
	cmd := exec.Command(binPath, "build", "--progress", "plain")
	cmd.Dir, cmd.Env, cmd.Stderr = holder, append(os.Environ(), fresh...), holderErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(buildTimeout); !strings.Contains(holderErr.String(), "TEST sleep"); {
		select {
		case err := <-done:
			t.Fatalf("the holder build ended early (%v):\n%s", err, tail(holderErr.String(), 30))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the holder build never started its test")
		}
	}

	stagebuildEnv(t, project, fresh, "build", "--progress", "quiet").mustSucceed(t)
	r := stagebuildEnv(t, project, fresh, "build", "--progress", "rawjson").mustSucceed(t)
	vs := parseRawJSON(t, r.stderr)
	for _, name := range []string{"[service 1/1] RUN echo", "[quick 1/1] TEST echo quick test", "[service check 1] step ran"} {
		if v := find(t, vs, name); !v.Cached {
			t.Errorf("%s ran again while another build held the base", v.Name)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("the holder build ended before the second build (%v): the test proves nothing", err)
	default:
	}
}
