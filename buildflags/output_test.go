package buildflags

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

type attrs = map[string]string

const typeList = "(one of oci, docker, image, local, tar, registry)"

func TestParseOutput(t *testing.T) {
	tests := []struct {
		spec string
		want Output
	}{
		{"type=oci,dest=out.tar", Output{Type: "oci", Attrs: attrs{"dest": "out.tar"}}},
		{"type=docker,dest=dev.tar,name=app:dev", Output{Type: "docker", Attrs: attrs{"dest": "dev.tar", "name": "app:dev"}}},
		{"type=image,name=registry.example.com/app:1,push=true",
			Output{Type: "image", Attrs: attrs{"name": "registry.example.com/app:1", "push": "true"}}},
		{"type=local,dest=out", Output{Type: "local", Attrs: attrs{"dest": "out"}}},
		{"type=tar,dest=rootfs.tar", Output{Type: "tar", Attrs: attrs{"dest": "rootfs.tar"}}},
		{"type=registry,name=reg/app:1", Output{Type: "image", Attrs: attrs{"name": "reg/app:1", "push": "true"}}},
		{"Type=oci, DEST=x.tar", Output{Type: "oci", Attrs: attrs{"dest": "x.tar"}}},
		{"./out/dir", Output{Type: "local", Attrs: attrs{"dest": "./out/dir"}}},
		{"service=type=oci,dest=x.tar", Output{Target: "service", Type: "oci", Attrs: attrs{"dest": "x.tar"}}},
		{"tests_builder=type=local,dest=tb", Output{Target: "tests_builder", Type: "local", Attrs: attrs{"dest": "tb"}}},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseOutput(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Spec = tc.spec
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseOutputErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "--output: empty value (write type=oci,dest=FILE.tar or a directory path)"},
		{"dest=out.tar", `--output "dest=out.tar": missing type= ` + typeList},
		{"service=dest=x.tar", `--output "service=dest=x.tar": missing type= ` + typeList},
		{"type=zip,dest=x.zip", `--output "type=zip,dest=x.zip": unknown type "zip" ` + typeList},
		{"type=oci", `--output "type=oci": type=oci needs dest=FILE.tar`},
		{"type=docker,name=app", `--output "type=docker,name=app": type=docker needs dest=FILE.tar`},
		{"type=local", `--output "type=local": type=local needs dest=PATH`},
		{"type=tar,dest=", `--output "type=tar,dest=": type=tar needs dest=PATH`},
		{"type=image", `--output "type=image": type=image needs name=REF (or use -t REF)`},
		{"type=registry,push=true", `--output "type=registry,push=true": type=registry needs name=REF (or use -t REF)`},
		{"type=oci,out.tar", `--output "type=oci,out.tar": "out.tar" is not key=value (write type=oci,dest=FILE.tar)`},
		{"type=oci,,dest=x", `--output "type=oci,,dest=x": "" is not key=value (write type=oci,dest=FILE.tar)`},
		{"=oci", `--output "=oci": "=oci" is not key=value (write type=oci,dest=FILE.tar)`},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := ParseOutput(tc.spec)
			if err == nil || err.Error() != tc.want {
				t.Errorf("\ngot:  %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestTagOutput(t *testing.T) {
	tests := []struct {
		tag  string
		push bool
		want Output
	}{
		{"registry.example.com/app:1", false, Output{Type: "image", Attrs: attrs{"name": "registry.example.com/app:1"}}},
		{"localhost:5000/app:1", true, Output{Type: "image", Attrs: attrs{"name": "localhost:5000/app:1", "push": "true"}}},
		{"service=reg/app:1", false, Output{Target: "service", Type: "image", Attrs: attrs{"name": "reg/app:1"}}},
		{"service=reg/app:1", true, Output{Target: "service", Type: "image", Attrs: attrs{"name": "reg/app:1", "push": "true"}}},
	}
	for _, tc := range tests {
		got, err := TagOutput(tc.tag, tc.push)
		if err != nil {
			t.Fatalf("TagOutput(%q): %v", tc.tag, err)
		}
		tc.want.Spec = tc.tag
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("TagOutput(%q, %v)\ngot  %+v\nwant %+v", tc.tag, tc.push, got, tc.want)
		}
	}
	for tag, want := range map[string]string{
		"":           `--tag "": not an image reference (write -t registry/name:tag)`,
		"service=":   `--tag "service=": not an image reference (write -t registry/name:tag)`,
		"app:1,app2": `--tag "app:1,app2": not an image reference (write -t registry/name:tag)`,
	} {
		if _, err := TagOutput(tag, false); err == nil || err.Error() != want {
			t.Errorf("TagOutput(%q)\ngot:  %v\nwant: %s", tag, err, want)
		}
	}
}

func mustOutputs(t *testing.T, specs ...string) []Output {
	t.Helper()
	var outs []Output
	for _, s := range specs {
		o, err := ParseOutput(s)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, o)
	}
	return outs
}

func TestAssignOutputs(t *testing.T) {
	tag, err := TagOutput("reg/app:1", true)
	if err != nil {
		t.Fatal(err)
	}
	single := append(mustOutputs(t, "type=oci,dest=svc.tar"), tag)
	got, err := AssignOutputs(single, []string{"service"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got["service"]) != 2 || got["service"][0].Target != "service" || got["service"][1].Attrs["name"] != "reg/app:1" {
		t.Errorf("single target: %+v", got)
	}
	if single[0].Target != "" {
		t.Errorf("AssignOutputs modified its input: %+v", single[0])
	}

	multi := mustOutputs(t, "service=type=oci,dest=svc.tar", "localdev=type=docker,dest=dev.tar,name=app:dev")
	got, err = AssignOutputs(multi, []string{"service", "localdev"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got["service"]) != 1 || got["service"][0].Dest() != "svc.tar" || len(got["localdev"]) != 1 || got["localdev"][0].Dest() != "dev.tar" {
		t.Errorf("several targets: %+v", got)
	}

	if got, err := AssignOutputs(nil, []string{"service", "localdev"}); err != nil || len(got) != 0 {
		t.Errorf("no outputs: %v, %v", got, err)
	}
}

func TestAssignOutputsErrors(t *testing.T) {
	tests := []struct {
		name    string
		specs   []string
		targets []string
		want    string
	}{
		{"unprefixed with several targets", []string{"type=oci,dest=x.tar"}, []string{"service", "localdev"},
			`--output "type=oci,dest=x.tar" names no target but 2 targets are requested (write service=type=oci,dest=x.tar)`},
		{"unprefixed with no target", []string{"type=oci,dest=x.tar"}, nil,
			`--output "type=oci,dest=x.tar": no target is requested`},
		{"not a requested target", []string{"localdev=type=oci,dest=x.tar"}, []string{"service", "builder"},
			`output "localdev=type=oci,dest=x.tar" is for "localdev", which is not a requested target (requested: builder, service)`},
		{"same dest, one target", []string{"type=oci,dest=x.tar", "type=docker,dest=./x.tar,name=a"}, []string{"service"},
			`--output "type=oci,dest=x.tar" and --output "type=docker,dest=./x.tar,name=a" both write x.tar (give each its own dest)`},
		{"same dest, two targets", []string{"service=type=local,dest=out", "localdev=type=local,dest=out/"}, []string{"service", "localdev"},
			`--output "service=type=local,dest=out" and --output "localdev=type=local,dest=out/" both write out (give each its own dest)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AssignOutputs(mustOutputs(t, tc.specs...), tc.targets)
			if err == nil || err.Error() != tc.want {
				t.Errorf("\ngot:  %v (%v)\nwant: %s", err, got, tc.want)
			}
		})
	}
}

// --annotation goes to image outputs (oci, docker, image), not to file
// trees (local, tar).
func TestAnnotate(t *testing.T) {
	outs := map[string][]Output{"service": {
		{Target: "service", Type: "oci", Attrs: map[string]string{"dest": "svc.tar"}},
		{Target: "service", Type: "local", Attrs: map[string]string{"dest": "out"}},
		{Target: "service", Type: "image", Attrs: map[string]string{"name": "reg/app:1", "push": "true"}},
	}}
	Annotate(outs, map[string]string{"org.example.k": "v"})
	for _, out := range outs["service"] {
		got, ok := out.Attrs["annotation.org.example.k"]
		if want := out.Type != "local"; ok != want || (ok && got != "v") {
			t.Errorf("%s output: annotation %q (set %v), want set %v", out.Type, got, ok, want)
		}
	}
}

// --load takes the target's unpushed tags as the loaded image's names, and
// names it <dir>:<target> when there are none.
func TestWithLoad(t *testing.T) {
	outs := map[string][]Output{"service": {
		{Target: "service", Type: "image", Attrs: map[string]string{"name": "app:1"}},
		{Target: "service", Type: "image", Attrs: map[string]string{"name": "reg/app:1", "push": "true"}},
	}}
	if err := WithLoad(outs, []string{"service", "tests"}, "/src/My-App"); err != nil {
		t.Fatal(err)
	}
	for _, l := range []Output{outs["service"][1], outs["tests"][0]} {
		defer os.RemoveAll(filepath.Dir(l.Dest()))
	}
	if len(outs["service"]) != 2 || outs["service"][0].Attrs["push"] != "true" {
		t.Fatalf("service outputs: %+v", outs["service"])
	}
	for target, want := range map[string]string{"service": "app:1", "tests": "my-app:tests"} {
		l := outs[target][len(outs[target])-1]
		if !l.Load || l.Type != "docker" || l.Attrs["name"] != want || filepath.Base(l.Dest()) != target+".tar" {
			t.Errorf("%s: load output %+v, want name %s", target, l, want)
		}
	}
}

func TestKeyValues(t *testing.T) {
	if m, err := KeyValues("--label", nil); m != nil || err != nil {
		t.Errorf("no values: %v, %v", m, err)
	}
	m, err := KeyValues("--label", []string{"a=1", "b=", "a=2", "c=x=y"})
	if err != nil || !reflect.DeepEqual(m, map[string]string{"a": "2", "b": "", "c": "x=y"}) {
		t.Errorf("KeyValues = %v, %v", m, err)
	}
	if _, err := KeyValues("--annotation", []string{"ok=1", "bad"}); err == nil || err.Error() != `--annotation "bad": write KEY=VALUE` {
		t.Errorf("bad entry: %v", err)
	}
}

func TestParseBuildArgs(t *testing.T) {
	m, err := ParseBuildArgs([]string{"A=1", "B=", "A=x=y"})
	if err != nil || !reflect.DeepEqual(m, map[string]string{"A": "x=y", "B": ""}) {
		t.Errorf("ParseBuildArgs = %v, %v", m, err)
	}
	if _, err := ParseBuildArgs([]string{"=1"}); err == nil || err.Error() != `--build-arg "=1": write KEY=VALUE` {
		t.Errorf("bad arg: %v", err)
	}
}
