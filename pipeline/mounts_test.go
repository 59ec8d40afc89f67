package pipeline

import (
	"slices"
	"testing"
)

const mountOK = "    from: alpine:3\n"

func TestMountsParse(t *testing.T) {
	y := "args:\n  UV: /uv\nstages:\n  uv:\n" + mountOK + "  deps:\n" + mountOK +
		"    mounts:\n      - {from: uv, source: \"${UV}\", target: /opt/uv/}\n      - {from: uv, target: /opt/all}\n    run: /opt/uv/uv --version\n"
	p, err := Parse("p.yaml", []byte(y), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Stage("deps")
	if len(s.Mounts) != 2 {
		t.Fatalf("mounts: %+v", s.Mounts)
	}
	m := s.Mounts[0]
	if m.From.Value != "uv" || m.Source.Value != "/uv" || m.Target.Value != "/opt/uv" || m.Pos.String() != "p.yaml:9:9" {
		t.Errorf("first mount: %+v", m)
	}
	if s.Mounts[1].Source.Value != "/" {
		t.Errorf("default source %q, want /", s.Mounts[1].Source.Value)
	}
	if got := s.Deps(); !slices.Equal(got, []string{"uv"}) {
		t.Errorf("Deps() = %q, want [uv]", got)
	}
}

func TestMountsErrors(t *testing.T) {
	head := "stages:\n  uv:\n" + mountOK + "  a:\n" + mountOK
	tests := []struct{ name, yaml, want string }{
		{"not a list", head + "    mounts: {from: uv}\n",
			`p.yaml:6:13: mounts of stage "a" must be a list of {from:, source:, target:} mappings, got a mapping`},
		{"unknown key", head + "    mounts:\n      - {from: uv, target: /x, sorce: /uv}\n",
			`p.yaml:7:32: unknown key "sorce" in an entry of mounts of stage "a" (did you mean "source"?)`},
		{"no from", head + "    mounts:\n      - {target: /x}\n",
			`p.yaml:7:9: an entry of mounts of stage "a" has no from: (name the stage whose files are mounted)`},
		{"no target", head + "    mounts:\n      - {from: uv}\n",
			`p.yaml:7:9: an entry of mounts of stage "a" has no target: (give the absolute path the files appear at, such as /opt/uv)`},
		{"relative target", head + "    mounts:\n      - {from: uv, target: opt/uv}\n",
			`p.yaml:7:28: target in mounts of stage "a": "opt/uv" must be an absolute path other than / (such as /opt/uv)`},
		{"root target", head + "    mounts:\n      - {from: uv, target: /}\n",
			`p.yaml:7:28: target in mounts of stage "a": "/" must be an absolute path other than / (such as /opt/uv)`},
		{"relative source", head + "    mounts:\n      - {from: uv, source: uv, target: /opt/uv}\n",
			`p.yaml:7:28: source in mounts of stage "a": "uv" must be an absolute path in stage "uv" (such as /uv)`},
		{"unknown stage", head + "    mounts:\n      - {from: uvv, target: /opt/uv}\n",
			`p.yaml:7:16: from in a mount of stage "a": unknown stage "uvv" (did you mean "uv"?) (a mount reads a stage of this pipeline)`},
		{"itself", head + "    mounts:\n      - {from: a, target: /opt/uv}\n",
			`p.yaml:7:16: from in a mount of stage "a": a stage cannot mount itself (name another stage)`},
		{"same target", head + "    mounts:\n      - {from: uv, target: /opt/uv}\n      - {from: uv, target: /opt/uv/}\n",
			`p.yaml:8:28: target in a mount of stage "a": /opt/uv is already mounted at 7:28 (give each mount its own target)`},
		{"cache target", head + "    cache: [/root/.cache/uv]\n    mounts:\n      - {from: uv, target: /root/.cache/uv}\n",
			`p.yaml:8:28: target in a mount of stage "a": /root/.cache/uv is also a cache of the stage (give the mount another target)`},
		{"cycle", "stages:\n  uv:\n    from: a\n  a:\n" + mountOK + "    mounts:\n      - {from: uv, target: /opt/uv}\n",
			`p.yaml:7:16: stages form a cycle through from: and mounts: uv → a → uv (mount a stage that is not built from this one)`},
	}
	parseErrors(t, tests)
}
