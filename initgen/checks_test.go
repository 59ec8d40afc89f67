package initgen

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// Seed 001: init took the dev stage's CMD (poetry run pytest); it takes the
// prod stage's, without the poetry wrapper, since Poetry is not installed.
func TestDockerfileProductionStage(t *testing.T) {
	got := parseDockerfile(`FROM python:3.10 as base
RUN pip install poetry
COPY ./ ./
FROM base as prod
RUN poetry install --without dev
EXPOSE 8000
CMD [ "poetry", "run", "uvicorn", "src.app:app" ]
FROM base as dev
RUN poetry install --with dev
CMD [ "poetry", "run", "pytest", "tests/" ]
`)
	want := dockerConfig{Cmd: &Command{Args: []string{"uvicorn", "src.app:app"}}, Expose: []string{"8000"}, Stage: "prod", Unwrapped: []string{"poetry run"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v %+v\nwant %+v %+v", got, got.Cmd, want, want.Cmd)
	}
	shell := parseDockerfile("FROM x\nCMD uv run gunicorn app:app\n")
	if shell.Cmd.Args[0] != "gunicorn app:app" || !shell.Cmd.Shell {
		t.Errorf("shell form: %+v", shell.Cmd)
	}
}

func TestCommandPort(t *testing.T) {
	for _, tc := range []struct {
		args          []string
		shell         bool
		port, portEnv string
	}{
		{[]string{"uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8080"}, false, "8080", ""},
		{[]string{"uvicorn", "app:app", "--port=9000"}, false, "9000", ""},
		{[]string{"gunicorn", "--bind", "0.0.0.0:8001", "mysite.wsgi"}, false, "8001", ""},
		{[]string{"gunicorn", "-b", ":5000", "app:app"}, false, "5000", ""},
		{[]string{"python", "manage.py", "runserver", "0.0.0.0:8000"}, false, "8000", ""},
		{[]string{"gunicorn --bind 0.0.0.0:$PORT app:app"}, true, "", "PORT"},
		{[]string{"python", "-m", "app"}, false, "", ""},
	} {
		port, env := CommandPort(tc.args, tc.shell)
		if port != tc.port || env != tc.portEnv {
			t.Errorf("%q: got %q %q, want %q %q", tc.args, port, env, tc.port, tc.portEnv)
		}
	}
}

func TestDetectRoute(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fsys        fstest.MapFS
		route, from string
	}{
		{"flask health", fstest.MapFS{"app/web.py": file("@app.route(\"/\")\ndef i(): ...\n@bp.get('/healthz')\ndef h(): ...\n")}, "/healthz", "app/web.py"},
		{"django path", fstest.MapFS{"site/urls.py": file(`urlpatterns = [path("health/", health)]`)}, "/health/", "site/urls.py"},
		{"root only", fstest.MapFS{"main.py": file("@app.get(\"/\")\ndef root(): ...\n")}, "/", "main.py"},
		{"tests are not the service", fstest.MapFS{"tests/test_x.py": file("@app.get('/health')\n")}, "", ""},
	} {
		route, from := DetectRoute(tc.fsys)
		if route != tc.route || from != tc.from {
			t.Errorf("%s: got %q %q, want %q %q", tc.name, route, from, tc.route, tc.from)
		}
	}
}

func TestServiceCheckText(t *testing.T) {
	var w Writer
	(&ServiceCheck{Program: "uvicorn", Import: "inventory", Smoke: &Smoke{Port: "8000", HTTPPath: "/health", Why: "w"}}).Write(&w, 4)
	(&ServiceCheck{Program: "/app/docker-entrypoint.sh", Smoke: &Smoke{PortEnv: "PORT", Why: "e"}}).Write(&w, 4)
	want := `    checks:                                 # run on the built image before it is exported
      commands:
        - name: uvicorn is on PATH and executable # the service's program: never ship one that cannot start
          run: p="$(command -v uvicorn)" && test -f "$p" && test -x "$p"
        - name: inventory imports without the test deps
          run: [python, -c, "import inventory"]
      smoke:                                # w
        port: 8000                          # the port the service listens on
        http: {path: /health}
    checks:                                 # run on the built image before it is exported
      commands:
        - name: docker-entrypoint.sh is present and executable # the service's program: never ship one that cannot start
          run: test -f /app/docker-entrypoint.sh && test -x /app/docker-entrypoint.sh
      smoke:                                # e
        port_env: PORT                      # stagebuild passes a free port in it
        tcp: true                           # ready when the port accepts a connection
`
	if got := string(w.Bytes()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(ProgramCommand("a b"), "'a b'") {
		t.Errorf("program with a space is not quoted: %s", ProgramCommand("a b"))
	}
}
