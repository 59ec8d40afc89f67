package pipeline

import (
	"reflect"
	"strings"
	"testing"
)

const caPipeline = `version: 1
ca_certs: [host, certs/corp.pem]
args:
  SOURCE_DATE_EPOCH: "0"
stages:
  app:
    from: busybox:latest
    env: {EPOCH: "${SOURCE_DATE_EPOCH}"}
`

func TestParseCACerts(t *testing.T) {
	p, err := Parse("stagebuild.yaml", []byte(caPipeline), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{{"host", Pos{"stagebuild.yaml", 2, 12}}, {"certs/corp.pem", Pos{"stagebuild.yaml", 2, 18}}}
	if !reflect.DeepEqual(p.CACerts, want) {
		t.Errorf("CACerts = %+v, want %+v", p.CACerts, want)
	}
	for text, msg := range map[string]string{
		"version: 1\nca_certs: host\nstages: {a: {from: busybox:latest}}\n":     "stagebuild.yaml:2:11: ca_certs must be a list, got a scalar",
		"version: 1\nca_certs: [\"\"]\nstages: {a: {from: busybox:latest}}\n":   `stagebuild.yaml:2:12: ca_certs: an empty entry (write host, or the path of a PEM file)`,
		"version: 1\nca_cert: [host]\nstages: {a: {from: busybox:latest}}\n":    `stagebuild.yaml:2:1: unknown key "ca_cert" in the pipeline (did you mean "ca_certs"?)`,
		"version: 1\nca_certs: [[host]]\nstages: {a: {from: busybox:latest}}\n": "stagebuild.yaml:2:12: each entry of ca_certs must be a string, got a list",
	} {
		if _, err := Parse("stagebuild.yaml", []byte(text), nil); err == nil || err.Error() != msg {
			t.Errorf("%q:\n got %v\nwant %s", text, err, msg)
		}
	}
}

// A --build-arg of a predefined arg is no unused arg; a declared one still
// takes the value.
func TestPredefinedArgs(t *testing.T) {
	p, err := Parse("stagebuild.yaml", []byte(caPipeline), map[string]string{
		"HTTPS_PROXY": "http://p:1", "no_proxy": "localhost", "SOURCE_DATE_EPOCH": "1700000000", "UNUSED": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "--build-arg UNUSED is not declared") {
		t.Errorf("warnings = %q", p.Warnings)
	}
	if env := p.Stage("app").Env; len(env) != 1 || env[0].Value != "1700000000" {
		t.Errorf("declared SOURCE_DATE_EPOCH did not take the value: %+v", env)
	}
	if !IsPredefinedArg("all_proxy") || IsPredefinedArg("PROXY") {
		t.Error("IsPredefinedArg")
	}
}
