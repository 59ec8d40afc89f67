package verify

import (
	"reflect"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stagebuild/stagebuild/plan"
)

func serviceConfig() ocispecs.ImageConfig {
	return ocispecs.ImageConfig{
		User:         "app",
		ExposedPorts: map[string]struct{}{"3000/tcp": {}},
		Env:          []string{"PATH=/opt/venv/bin:/usr/bin", "PYTHONPATH=/srv", "PYTHONPATH=/app", "EMPTY="},
		Entrypoint:   []string{"/app/docker-entrypoint.sh"},
		WorkingDir:   "/app",
		Labels:       map[string]string{"org.opencontainers.image.title": "python-service"},
	}
}

func messages(fs []Failure) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func TestMetadataPasses(t *testing.T) {
	c := &plan.MetadataCheck{
		Entrypoint: []string{"/app/docker-entrypoint.sh"},
		Expose:     []string{"3000"},
		User:       plan.NonRoot,
		Workdir:    "/app/",
		Env:        map[string]string{"PYTHONPATH": "/app", "EMPTY": ""},
		Labels:     map[string]string{"org.opencontainers.image.title": "python-service"},
		Source:     "s.yaml:9:9",
	}
	if got := Metadata(c, serviceConfig()); len(got) != 0 {
		t.Errorf("failures: %q", messages(got))
	}
	if got := Metadata(nil, serviceConfig()); got != nil {
		t.Errorf("nil check: %q", messages(got))
	}
	exact := &plan.MetadataCheck{User: "app", Cmd: nil, Expose: []string{"3000/TCP"}}
	if got := Metadata(exact, serviceConfig()); len(got) != 0 {
		t.Errorf("failures: %q", messages(got))
	}
}

func TestMetadataFails(t *testing.T) {
	c := &plan.MetadataCheck{
		Entrypoint: []string{"gunicorn", "app:app"},
		Cmd:        []string{"--workers", "2"},
		Expose:     []string{"3000/tcp", "9090"},
		User:       "nobody",
		Workdir:    "/srv",
		Env:        map[string]string{"PYTHONPATH": "/srv", "DEBUG": "0", "PATH": "/opt/venv/bin:${PATH}"},
		Labels:     map[string]string{"org.opencontainers.image.title": "svc", "version": "1"},
		Source:     "s.yaml:30:9",
	}
	cfg := serviceConfig()
	cfg.ExposedPorts = map[string]struct{}{"3000/tcp": {}, "8080/udp": {}}
	want := []string{
		`s.yaml:30:9: metadata entrypoint: expected entrypoint ["gunicorn","app:app"], found ["/app/docker-entrypoint.sh"]`,
		`s.yaml:30:9: metadata cmd: expected cmd ["--workers","2"], found none`,
		`s.yaml:30:9: metadata expose: expected exposed ports 3000/tcp, 9090/tcp, found 3000/tcp, 8080/udp (missing 9090/tcp; not expected 8080/udp)`,
		`s.yaml:30:9: metadata user: expected user "nobody", found "app"`,
		`s.yaml:30:9: metadata workdir: expected workdir "/srv", found "/app"`,
		`s.yaml:30:9: metadata env DEBUG: expected DEBUG="0", but DEBUG is not set`,
		`s.yaml:30:9: metadata env PATH: expected PATH="/opt/venv/bin:${PATH}", found "/opt/venv/bin:/usr/bin"`,
		`s.yaml:30:9: metadata env PYTHONPATH: expected PYTHONPATH="/srv", found "/app"`,
		`s.yaml:30:9: metadata labels org.opencontainers.image.title: expected label org.opencontainers.image.title="svc", found "python-service"`,
		`s.yaml:30:9: metadata labels version: expected label version="1", but the image has no such label`,
	}
	if got := messages(Metadata(c, cfg)); !reflect.DeepEqual(got, want) {
		t.Errorf("failures =\n%s\nwant\n%s", join(got), join(want))
	}
}

func TestMetadataEmptyConfig(t *testing.T) {
	c := &plan.MetadataCheck{Entrypoint: []string{"/x"}, Expose: []string{"80"}, Workdir: "/app", Source: "s:1:1"}
	want := []string{
		`s:1:1: metadata entrypoint: expected entrypoint ["/x"], found none`,
		`s:1:1: metadata expose: expected exposed ports 80/tcp, found none (missing 80/tcp)`,
		`s:1:1: metadata workdir: expected workdir "/app", found none`,
	}
	if got := messages(Metadata(c, ocispecs.ImageConfig{})); !reflect.DeepEqual(got, want) {
		t.Errorf("failures =\n%s\nwant\n%s", join(got), join(want))
	}
}

func TestMetadataNonRoot(t *testing.T) {
	for user, root := range map[string]bool{
		"": true, "root": true, "0": true, "0:0": true, "root:root": true, "0:1000": true, "root:staff": true, ":0": true,
		"app": false, "1000": false, "1000:0": false, "nobody:root": false, "65534:65534": false, "rooted": false,
	} {
		cfg := ocispecs.ImageConfig{User: user}
		got := Metadata(&plan.MetadataCheck{User: plan.NonRoot}, cfg)
		if (len(got) == 1) != root || IsRoot(user) != root {
			t.Errorf("user %q: failures %q, IsRoot %v; want root=%v", user, messages(got), IsRoot(user), root)
		}
	}
	got := messages(Metadata(&plan.MetadataCheck{User: plan.NonRoot, Source: "s:2:3"}, ocispecs.ImageConfig{}))
	want := []string{"s:2:3: metadata user: expected a non-root user, found none (the image runs as root; set user: in the stage)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("failures = %q, want %q", got, want)
	}
}

func join(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}
