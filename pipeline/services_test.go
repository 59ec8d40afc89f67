package pipeline

import (
	"reflect"
	"strings"
	"testing"
)

const servicesYAML = `version: 1
args:
  PG: postgres
services:
  db:
    stage: ${PG}
    command: exec postgres -c port=$PGPORT
    ports:
      pg: PGPORT
    readiness:
      command: pg_isready -h 127.0.0.1 -p "$PGPORT"
    timeout: 45s
  api:
    image: registry.example.com/api:1
    needs: [db]
    env:
      DATABASE_URL: postgresql://postgres@${services.db.host}:${services.db.port}/postgres
    ports: {http: PORT, admin: ADMIN_PORT}
    readiness:
      log: Listening at
      tcp: admin
      http: {port: http, path: /health, status: 204, body: ok}
stages:
  postgres:
    from: debian:bookworm
  tests:
    from: debian:bookworm
    services: [api]
    env:
      API: http://${services.api.host}:${services.api.ports.http}
      DB: ${services.db.port}
    test: 'true'
`

func TestParseServices(t *testing.T) {
	p, err := Parse("p.yaml", []byte(servicesYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(line, col int) Pos { return Pos{"p.yaml", line, col} }
	val := func(s string, line, col int) Value { return Value{s, at(line, col)} }
	if got := p.ServiceNames(); !reflect.DeepEqual(got, []string{"db", "api"}) {
		t.Fatalf("services = %v", got)
	}
	db := p.Service("db")
	want := &Service{
		Name: "db", Pos: at(5, 3), Stage: val("postgres", 6, 12),
		Command:   &Command{Args: []string{"exec postgres -c port=$PGPORT"}, Shell: true, Pos: at(7, 14)},
		Ports:     []ServicePort{{Name: "pg", Env: val("PGPORT", 9, 11), Pos: at(9, 7)}},
		Readiness: &Readiness{Command: &Command{Args: []string{`pg_isready -h 127.0.0.1 -p "$PGPORT"`}, Shell: true, Pos: at(11, 16)}, Pos: at(11, 7)},
		Timeout:   val("45s", 12, 14),
	}
	if !reflect.DeepEqual(db, want) {
		t.Errorf("db =\n%+v\nwant\n%+v", db, want)
	}
	api := p.Service("api")
	if api.Image.Value != "registry.example.com/api:1" || len(api.Needs) != 1 || api.Needs[0] != val("db", 15, 13) {
		t.Errorf("api image %v needs %v", api.Image, api.Needs)
	}
	wantReady := &Readiness{Log: val("Listening at", 20, 12), TCP: val("admin", 21, 12),
		HTTP: &ReadyHTTP{Port: val("http", 22, 20), Path: val("/health", 22, 32), Status: 204, Body: val("ok", 22, 60), Pos: at(22, 13)},
		Pos:  at(20, 7)}
	if !reflect.DeepEqual(api.Readiness, wantReady) {
		t.Errorf("api readiness =\n%+v %+v\nwant\n%+v %+v", api.Readiness, api.Readiness.HTTP, wantReady, wantReady.HTTP)
	}
	tests := p.Stage("tests")
	if !reflect.DeepEqual(tests.Services, []Value{val("api", 28, 16)}) {
		t.Errorf("tests.Services = %v", tests.Services)
	}
	var closure []string
	for _, s := range p.ServiceClosure(tests) {
		closure = append(closure, s.Name)
	}
	if !reflect.DeepEqual(closure, []string{"db", "api"}) {
		t.Errorf("closure = %v, want db before api", closure)
	}
	refs := ServiceRefs(tests.Env[0].Value)
	wantRefs := []ServiceRef{{Text: "${services.api.host}", Service: "api", Field: "host"},
		{Text: "${services.api.ports.http}", Service: "api", Field: "ports", Port: "http"}}
	if !reflect.DeepEqual(refs, wantRefs) {
		t.Errorf("refs = %+v", refs)
	}
}

// A single-port service's readiness.http may leave out the port.
func TestReadyHTTPDefaultPort(t *testing.T) {
	y := "services:\n  s:\n    image: a:1\n    ports: {web: PORT}\n    readiness: {http: {path: /}}\nstages:\n  a:\n    from: a:1\n"
	p, err := Parse("p.yaml", []byte(y), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Service("s").Readiness.HTTP.Port.Value; got != "web" {
		t.Errorf("port = %q, want web", got)
	}
}

func TestServiceErrors(t *testing.T) {
	// svc returns a pipeline whose service s has the given body, indented
	// under "  s:" (its keys start at line 3, column 5); stage t (a gate)
	// starts at line 11, and the lines given for it at line 13.
	svc := func(body string, gate ...string) string {
		g := "    test: 'true'\n"
		if len(gate) > 0 {
			g = gate[0]
		}
		y := "services:\n  s:\n" + indent(body, "    ")
		y += strings.Repeat("\n", 7-strings.Count(y, "\n"))
		return y + "stages:\n  img:\n    from: a:1\n  t:\n    from: a:1\n" + g
	}
	const ok = "image: a:1\nports: {p: PORT}\nreadiness: {tcp: p}"
	tests := []struct{ name, yaml, want string }{
		{"unknown key", svc("image: a:1\ncomand: x"), `p.yaml:4:5: unknown key "comand" in service "s" (did you mean "command"?)`},
		{"no image", svc("ports: {p: PORT}\nreadiness: {tcp: p}"),
			`p.yaml:2:3: service "s" has neither image: nor stage: (name an image, or a stage of this pipeline)`},
		{"image and stage", svc("image: a:1\nstage: img\nreadiness: {log: x}"), `p.yaml:4:12: service "s": give image: or stage:, not both`},
		{"unknown stage", svc("stage: imgg\nreadiness: {log: x}"), `p.yaml:3:12: stage of service "s": unknown stage "imgg" (did you mean "img"?)`},
		{"gate stage", svc("stage: t\nreadiness: {log: x}"), `p.yaml:3:12: stage of service "s": stage "t" is a test stage (a service runs an image stage)`},
		{"no readiness", svc("image: a:1"),
			`p.yaml:2:3: service "s" has no readiness: (say how to tell that it is up: log:, tcp:, http: or command:)`},
		{"readiness with no check", svc("image: a:1\nreadiness: {}"),
			`p.yaml:4:16: readiness of service "s" has no check (give log:, tcp: PORT, http: {path: /health} or command:)`},
		{"tcp unknown port", svc("image: a:1\nports: {p: PORT}\nreadiness: {tcp: q}"),
			`p.yaml:5:22: readiness.tcp of service "s": unknown port "q" (ports: p)`},
		{"http port needed", svc("image: a:1\nports: {p: PORT, q: Q}\nreadiness: {http: {path: /}}"),
			`p.yaml:5:23: readiness.http of service "s" has no port: (name one of its ports: p, q)`},
		{"clashing port envs", svc("image: a:1\nports: {p: PORT, q: PORT}\nreadiness: {tcp: p}"),
			`p.yaml:4:25: ports of service "s": ports "p" and "q" both pass their number in PORT (give each port its own env var)`},
		{"port env in env", svc(ok + "\nenv: {PORT: '1'}"),
			`p.yaml:6:11: env of service "s": PORT is the env var of port "p", which stagebuild sets (remove it from env:, or rename the port's env var)`},
		{"bad port env", svc("image: a:1\nports: {p: 1PORT}\nreadiness: {tcp: p}"),
			`p.yaml:4:16: ports of service "s".p: "1PORT" is not an env var name (use letters, digits and _, such as PORT)`},
		{"bad readiness log", svc("image: a:1\nreadiness: {log: 'ready ('}"),
			`p.yaml:4:22: readiness of service "s".log: "ready (" is not a valid regular expression: missing closing ) (escape characters meant literally with \)`},
		{"bad readiness body", svc("image: a:1\nports: {p: P}\nreadiness: {http: {path: /, body: '*ok'}}"),
			`p.yaml:5:39: readiness of service "s".http.body: "*ok" is not a valid regular expression: missing argument to repetition operator (escape characters meant literally with \)`},
		{"unknown need", svc(ok + "\nneeds: [db]"), `p.yaml:6:13: needs of service "s": unknown service "db"`},
		{"bad timeout", svc(ok + "\ntimeout: soon"), `p.yaml:6:14: timeout of service "s": "soon" is not a duration above zero (such as 30s or 2m)`},
		{"cycle", "services:\n  a: {image: a:1, needs: [b], readiness: {log: x}}\n  b: {image: a:1, needs: [a], readiness: {log: x}}\nstages:\n  s:\n    from: a:1\n",
			`p.yaml:2:3: services form a cycle through needs: a → b → a (one of them must start without the other)`},
		{"stage names unknown service", svc(ok, "    test: 'true'\n    services: [ss]\n"),
			`p.yaml:14:16: services of stage "t": unknown service "ss" (did you mean "s"?)`},
		{"services without test", svc(ok, "    services: [s]\n"),
			`p.yaml:13:5: services of stage "t" needs a test: command (only a test stage runs beside services)`},
		{"env reads an unlisted service", svc(ok, "    test: 'true'\n    env: {U: '${services.s.port}'}\n"),
			`p.yaml:14:11: env of stage "t": U: ${services.s.port}: service "s" is not started for it (list it under services: of stage "t")`},
		{"env reads an unknown port", svc(ok, "    test: 'true'\n    services: [s]\n    env: {U: '${services.s.ports.q}'}\n"),
			`p.yaml:15:11: env of stage "t": U: ${services.s.ports.q}: unknown port "q" (ports: p)`},
		{"env reads a malformed reference", svc(ok, "    test: 'true'\n    services: [s]\n    env: {U: '${services.s}'}\n"),
			`p.yaml:15:11: env of stage "t": U: ${services.s} is not a service reference (write ${services.NAME.port}, ${services.NAME.ports.PORT} or ${services.NAME.host})`},
		{".port of two ports", svc("image: a:1\nports: {p: P, q: Q}\nreadiness: {tcp: p}", "    test: 'true'\n    services: [s]\n    env: {U: '${services.s.port}'}\n"),
			`p.yaml:15:11: env of stage "t": U: ${services.s.port}: service "s" has 2 ports (p, q); write ${services.s.ports.NAME}`},
		{"image stage reads a service", svc(ok, "    env: {U: '${services.s.port}'}\n"),
			`p.yaml:13:11: env of stage "t": U: ${services.s.port}: service "s" is not started for it (only a test stage runs beside services)`},
		{"service reads a service it does not need", "services:\n  a: {image: a:1, ports: {p: P}, readiness: {tcp: p}}\n  b: {image: a:1, env: {U: '${services.a.port}'}, readiness: {log: x}}\nstages:\n  s:\n    from: a:1\n",
			`p.yaml:3:25: env of service "b" U: ${services.a.port}: service "a" is not started for it (add it to needs: of service "b")`},
		{"service built from its gate", "services:\n  a: {stage: img, readiness: {log: x}}\nstages:\n  t:\n    from: a:1\n    services: [a]\n    test: 'true'\n  img:\n    from: t\n",
			`p.yaml:2:14: stage of service "a": stage "img" is built from test stage "t", which runs beside this service (build the service from a stage below the test)`},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tt.yaml), nil)
			if err == nil {
				t.Fatalf("no error for\n%s", tt.yaml)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s\nfor\n%s", err, tt.want, tt.yaml)
			}
		})
	}
}
