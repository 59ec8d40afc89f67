package initgen

import (
	"reflect"
	"testing"

	"github.com/stagebuild/stagebuild/pipeline"
)

func TestDevcontainerFor(t *testing.T) {
	p, err := pipeline.Parse("stagebuild.yaml", []byte(`version: 1
stages:
  deps:
    from: python:3.11
    workdir: /srv
    env: {VIRTUAL_ENV: /venv, PATH: "/venv/bin:${PATH}"}
  localdev:
    from: deps
    entrypoint: [pytest, -q]
    cmd: [tests]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DevcontainerFor(p, "orders", "orders:dev")
	if err != nil {
		t.Fatal(err)
	}
	want := &Devcontainer{Name: "orders (localdev)", Image: "orders:dev", Workdir: "/srv", Python: "/venv/bin/python", PytestArgs: []string{"-q", "tests"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	p, _ = pipeline.Parse("x.yaml", []byte("version: 1\nstages:\n  service: {from: python}\n"), nil)
	if _, err := DevcontainerFor(p, "x", "x:localdev"); err == nil || err.Error() != "x.yaml: no localdev stage (add one built from the stage that has the code, the tests and the test deps; stagebuild init writes one)" {
		t.Errorf("error %v", err)
	}
}

func TestImageName(t *testing.T) {
	for dir, want := range map[string]string{
		"/home/me/Orders_Service": "orders-service:localdev", "/x/notes": "notes:localdev", "/": "app:localdev",
		"/x/--Weird..Name--": "weird-name:localdev", `C:\src\api`: "api:localdev",
	} {
		if got := ImageName(dir); got != want {
			t.Errorf("ImageName(%q) = %q, want %q", dir, got, want)
		}
	}
}
