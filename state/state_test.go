package state

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stagebuild/stagebuild/pipeline"
	"github.com/stagebuild/stagebuild/plan"
	"github.com/stagebuild/stagebuild/targets"
)

func TestDir(t *testing.T) {
	dir := func() string {
		t.Helper()
		d, err := Dir()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Setenv("STAGEBUILD_HOME", "/sb")
	t.Setenv("XDG_STATE_HOME", "/xdg")
	if got := dir(); got != "/sb" {
		t.Errorf("with STAGEBUILD_HOME: %s", got)
	}
	t.Setenv("STAGEBUILD_HOME", "")
	if got := dir(); got != "/xdg/stagebuild" {
		t.Errorf("with XDG_STATE_HOME: %s", got)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := dir(); got != "/home/u/.local/state/stagebuild" {
		t.Errorf("default: %s", got)
	}
}

// With HOME unset (and nothing else naming a dir), the state dir, which
// holds a root daemon's config and the port locks, is refused rather than
// put in a shared place such as /tmp.
func TestDirWithoutHome(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", "")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "")
	os.Unsetenv("HOME")
	d, err := Dir()
	if want := "no state directory: $HOME is not set (set HOME, or STAGEBUILD_HOME to a directory of your own)"; err == nil || err.Error() != want {
		t.Errorf("Dir() = %q, %v; want the error %s", d, err, want)
	}
	if err := WriteRecord(t.TempDir(), "stagebuild.yaml", nil, &plan.Plan{}); err == nil || err.Error() != "no state directory: $HOME is not set (set HOME, or STAGEBUILD_HOME to a directory of your own)" {
		t.Errorf("WriteRecord without a state dir: %v", err)
	}
}

// A record written after a build is what the next LoadRecord returns; with
// none, LoadRecord returns nil; a corrupt one is an error that says how to
// get out of it.
func TestRecordRoundTrip(t *testing.T) {
	home := t.TempDir()
	t.Setenv("STAGEBUILD_HOME", home)
	dir := t.TempDir()
	file := filepath.Join(dir, "stagebuild.yaml")
	text := "version: 1\nargs: {V: \"1\"}\nstages:\n  app:\n    from: busybox:latest\n    copy: [app.py]\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rec, err := LoadRecord(dir, file); rec != nil || err != nil {
		t.Fatalf("before any build: %+v, %v", rec, err)
	}
	p, err := pipeline.Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := targets.Resolve(p, []string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.Make(p, res, fstest.MapFS{"app.py": {Data: []byte("print(1)\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRecord(dir, file, map[string]string{"V": "1"}, pl); err != nil {
		t.Fatal(err)
	}
	rec, err := LoadRecord(dir, file)
	if err != nil || rec == nil {
		t.Fatalf("after a build: %+v, %v", rec, err)
	}
	want, err := plan.ComputeInputs(dir, pl)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Context != dir || rec.PipelineFile != file || !reflect.DeepEqual(rec.Args, map[string]string{"V": "1"}) ||
		!reflect.DeepEqual(rec.Inputs, want) {
		t.Errorf("record = %+v\nwant inputs %+v", rec, want)
	}
	matches, _ := filepath.Glob(filepath.Join(home, "records", "*.json"))
	if len(matches) != 1 {
		t.Fatalf("records: %q", matches)
	}
	if err := os.WriteFile(matches[0], []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadRecord(dir, file)
	if want := matches[0] + ": unexpected end of JSON input (delete it, or build again)"; err == nil || err.Error() != want {
		t.Errorf("corrupt record: %v\nwant %s", err, want)
	}
}

// An output stagebuild recorded is Written for any key and Unchanged for
// its own; a write in place, size and mtime put back, ends both.
func TestOutputRecord(t *testing.T) {
	t.Setenv("STAGEBUILD_HOME", t.TempDir())
	out := filepath.Join(t.TempDir(), "img.tar")
	if err := os.WriteFile(out, []byte("image bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if Written(out) || Unchanged(out, "k1") {
		t.Fatal("a file never recorded counts as written")
	}
	if err := RecordOutput(out, "k1"); err != nil {
		t.Fatal(err)
	}
	if !Written(out) || !Unchanged(out, "k1") || Unchanged(out, "k2") || Unchanged(out, "") {
		t.Fatalf("after recording k1: Written %v, Unchanged k1 %v, k2 %v, \"\" %v",
			Written(out), Unchanged(out, "k1"), Unchanged(out, "k2"), Unchanged(out, ""))
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // a ctime the write can move
	f, err := os.OpenFile(out, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("IMAGE"), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(out, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if Written(out) || Unchanged(out, "k1") {
		t.Error("a file written in place, size and mtime put back, still counts as stagebuild's")
	}
}
