package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDevcontainerOptions(t *testing.T) {
	tests := []struct {
		args    []string
		want    DevcontainerOptions
		wantErr string
	}{
		{[]string{"/src/Orders_API"}, DevcontainerOptions{Dir: "/src/Orders_API", Image: "orders-api:localdev"}, ""},
		{[]string{"x", "--image", "reg.example/x:dev", "--force"}, DevcontainerOptions{Dir: "x", Image: "reg.example/x:dev", Force: true}, ""},
		{[]string{"--image", "Bad Name"}, DevcontainerOptions{}, `--image "Bad Name": not an image reference (write --image name:tag)`},
		{[]string{"a", "b"}, DevcontainerOptions{}, "devcontainer takes at most one DIR argument, got 2 (a b)"},
	}
	for _, tc := range tests {
		var got *DevcontainerOptions
		var buf bytes.Buffer
		cmd := newDevcontainerCmd(Streams{Out: &buf, Err: &buf}, func(o *DevcontainerOptions) error { got = o; return nil })
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs(tc.args)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr || ExitCode(err) != ExitUsage {
				t.Errorf("%q: error %v, want %q (exit 2)", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%q: %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}

func TestDevcontainerJSON(t *testing.T) {
	dir := copyProject(t, "flask-requirements")
	if code, _, errOut := runMain("devcontainer", dir); code != ExitUsage ||
		errOut != "stagebuild: "+filepath.Join(dir, "stagebuild.yaml")+": no such file (run stagebuild init "+dir+" first)\n" {
		t.Errorf("without a pipeline: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runMain("init", dir); code != ExitOK {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	code, out, errOut := runMain("devcontainer", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	file := filepath.Join(dir, ".devcontainer", "devcontainer.json")
	for _, want := range []string{
		"wrote " + file + " (image flask-requirements:localdev, interpreter /opt/venv/bin/python)\n",
		"  stagebuild build " + dir + " --target localdev -o type=docker,dest=localdev.tar,name=flask-requirements:localdev\n",
		"  docker load -i localdev.tar\n",
		"--load",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	want := map[string]any{
		"name":            "flask-requirements (localdev)",
		"image":           "flask-requirements:localdev",
		"workspaceFolder": "/app",
		"workspaceMount":  "source=${localWorkspaceFolder},target=/app,type=bind",
		"overrideCommand": true,
		"customizations": map[string]any{"vscode": map[string]any{
			"extensions": []any{"ms-python.python"},
			"settings": map[string]any{
				"python.defaultInterpreterPath": "/opt/venv/bin/python",
				"python.testing.pytestEnabled":  true,
				"python.testing.pytestArgs":     []any{"tests"},
			},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("devcontainer.json:\n%s", data)
	}

	code, _, errOut = runMain("devcontainer", dir, "--image", "notes:dev")
	if code != ExitUsage || errOut != "stagebuild: "+file+" already exists (pass --force to overwrite it)\n" {
		t.Errorf("second run: exit %d, %q", code, errOut)
	}
	if code, _, errOut = runMain("devcontainer", dir, "--image", "notes:dev", "--force"); code != ExitOK {
		t.Fatalf("--force: exit %d: %s", code, errOut)
	}
	if data, _ := os.ReadFile(file); !bytes.Contains(data, []byte(`"image": "notes:dev"`)) {
		t.Errorf("--image not used:\n%s", data)
	}
}
