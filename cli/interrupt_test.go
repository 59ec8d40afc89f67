package cli

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer the watch goroutine writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The first Ctrl-C cancels the build and lets it unwind; the second is not
// swallowed: it exits 130 at once.
func TestSecondInterruptExits(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	var errw syncBuffer
	exited := make(chan int, 1)
	ctx, stop := onInterrupt(context.Background(), sigs, &errw, func(code int) { exited <- code })
	defer stop()

	sigs <- os.Interrupt
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first interrupt did not cancel the build")
	}
	select {
	case code := <-exited:
		t.Fatalf("the first interrupt exited (%d) instead of letting the build unwind", code)
	case <-time.After(100 * time.Millisecond):
	}
	if errw.String() != "" {
		t.Errorf("the first interrupt printed %q", errw.String())
	}

	sigs <- os.Interrupt
	select {
	case code := <-exited:
		if code != 130 {
			t.Errorf("exit %d, want 130", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second interrupt was swallowed")
	}
	if got, want := errw.String(), "stagebuild: interrupted again: exiting now\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

// Once Main is done, a signal no longer reaches the watch.
func TestInterruptWatchStops(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	exited := make(chan int, 1)
	ctx, stop := onInterrupt(context.Background(), sigs, &syncBuffer{}, func(code int) { exited <- code })
	stop()
	if ctx.Err() == nil {
		t.Error("stop left the context running")
	}
	sigs <- os.Interrupt
	sigs <- os.Interrupt
	select {
	case code := <-exited:
		t.Fatalf("exited %d after stop", code)
	case <-time.After(100 * time.Millisecond):
	}
}
