package initgen

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), Mode: 0o644} }

func TestParseDockerfile(t *testing.T) {
	got := parseDockerfile(`# syntax=docker/dockerfile:1
FROM python:3.11 AS build
CMD ["python", "-m", "build"]
EXPOSE 9999

from python:3.11-slim
# the final stage
EXPOSE 8080 ${PORT}
entrypoint ["/app/docker-entrypoint.sh", \
    "--workers", "2"]
CMD gunicorn --bind 0.0.0.0:8080 \
  "app:create_app()"
`)
	want := dockerConfig{
		Entrypoint: &Command{Args: []string{"/app/docker-entrypoint.sh", "--workers", "2"}},
		Cmd:        &Command{Args: []string{`gunicorn --bind 0.0.0.0:8080 "app:create_app()"`}, Shell: true},
		Expose:     []string{"8080"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v %+v %q\nwant %+v %+v %q", got.Entrypoint, got.Cmd, got.Expose, want.Entrypoint, want.Cmd, want.Expose)
	}
}

func TestEntrypoint(t *testing.T) {
	base := func(extra fstest.MapFS) fstest.MapFS {
		m := fstest.MapFS{"requirements.txt": file("flask\ngunicorn\n"), "app/__init__.py": file("")}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name       string
		fsys       fstest.MapFS
		entrypoint *Command
		cmd        *Command
		copy       []string
		expose     []string
		check      string
		note       string
	}{
		{"Dockerfile with a script", base(fstest.MapFS{
			"Dockerfile":           file("FROM python\nCOPY . /srv\nENTRYPOINT [\"/srv/docker-entrypoint.sh\"]\nCMD [\"serve\"]\n"),
			"docker-entrypoint.sh": &fstest.MapFile{Data: []byte("#!/bin/sh\n"), Mode: 0o755},
			"app/web.py":           file("from flask import Flask\napp = Flask(__name__)\n"),
		}), &Command{Args: []string{"/app/docker-entrypoint.sh"}}, &Command{Args: []string{"serve"}}, []string{"docker-entrypoint.sh"}, nil, "app",
			`detected: entrypoint: ENTRYPOINT ["/app/docker-entrypoint.sh"], CMD ["serve"] (Dockerfile)`},
		{"Dockerfile shell form", base(fstest.MapFS{"Dockerfile": file("FROM python\nEXPOSE 5000\nCMD python -m app\n")}),
			nil, &Command{Args: []string{"python -m app"}, Shell: true}, nil, []string{"5000"}, "app", "detected: entrypoint: CMD python -m app (Dockerfile)"},
		{"Flask object in a module", base(fstest.MapFS{"app/web.py": file("import flask\n\napplication: flask.Flask = flask.Flask(__name__)\n")}),
			&Command{Args: []string{"gunicorn", "--bind", "0.0.0.0:8000", "app.web:application"}}, nil, nil, []string{"8000"}, "app.web",
			"guessed: entrypoint: gunicorn serving app.web:application on port 8000 (application = Flask( in app/web.py)"},
		{"Flask without gunicorn", fstest.MapFS{"requirements.txt": file("flask\n"), "app.py": file("from flask import Flask\napp = Flask(__name__)\n")},
			&Command{Args: []string{"flask", "--app", "app:app", "run", "--host", "0.0.0.0", "--port", "8000"}}, nil, nil, []string{"8000"}, "app",
			"guessed: gunicorn is not a dependency; add it for production"},
		{"FastAPI factory", fstest.MapFS{"requirements.txt": file("fastapi\nuvicorn\n"), "svc/__init__.py": file(""),
			"svc/main.py": file("from fastapi import FastAPI\n\ndef create_app():\n    return FastAPI()\n")},
			&Command{Args: []string{"uvicorn", "--factory", "svc.main:create_app", "--host", "0.0.0.0", "--port", "8000"}}, nil, nil, []string{"8000"}, "svc.main",
			"guessed: entrypoint: uvicorn serving svc.main:create_app() on port 8000 (FastAPI( and create_app in svc/main.py)"},
		{"__main__", fstest.MapFS{"tool/__init__.py": file(""), "tool/__main__.py": file("print('hi')\n")},
			&Command{Args: []string{"python", "-m", "tool"}}, nil, nil, nil, "tool", "detected: entrypoint: python -m tool (tool/__main__.py)"},
		{"nothing", fstest.MapFS{"tool/__init__.py": file("")}, nil, nil, nil, nil, "",
			"guessed: no entrypoint (no Dockerfile CMD, Flask( or FastAPI( app, or __main__.py)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Inspect(tc.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Entrypoint, tc.entrypoint) || !reflect.DeepEqual(p.Cmd, tc.cmd) {
				t.Errorf("entrypoint %+v cmd %+v, want %+v %+v", p.Entrypoint, p.Cmd, tc.entrypoint, tc.cmd)
			}
			if !reflect.DeepEqual(p.ServiceCopy, tc.copy) || !reflect.DeepEqual(p.Expose, tc.expose) || p.ImportCheck != tc.check {
				t.Errorf("copy %q expose %q check %q", p.ServiceCopy, p.Expose, p.ImportCheck)
			}
			if !strings.Contains(notes(p), tc.note) {
				t.Errorf("notes lack %q:\n%s", tc.note, notes(p))
			}
			parse(t, p)
		})
	}
}
