package initgen

import (
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// Every string reads back unchanged, as a value and inside a flow list.
func TestScalarsRoundTrip(t *testing.T) {
	for _, s := range []string{
		"plain", "pip install -r requirements.txt", "0.0.0.0:8000", "app:create_app()", "--bind", "-c",
		"8000", "1", "1.5", "1e3", "true", "No", "null", "~", "", " lead", "trail ", "a: b", "a #b", "#c", "key:",
		"- item", "-", "[x]", "{x}", "*alias", "&anchor", "!tag", "|", ">", "'q'", `"q"`, "%x", "@x", "`x`",
		"${PYTHON_IMAGE}", "/opt/venv/bin:${PATH}", "import notes", "python -c 'import app'", "tab\there", "ünï",
		"a,b", "x]", "0x1F", "0o17", ".inf", ".5",
	} {
		var m map[string]string
		if err := yaml.Unmarshal([]byte("k: "+scalar(s)+"\n"), &m); err != nil || m["k"] != s {
			t.Errorf("scalar(%q) = %s reads back %q (%v)", s, scalar(s), m["k"], err)
		}
		var l map[string][]string
		if err := yaml.Unmarshal([]byte("k: "+flow([]string{s, "x"})+"\n"), &l); err != nil || len(l["k"]) != 2 || l["k"][0] != s {
			t.Errorf("flow(%q) = %s reads back %q (%v)", s, flow([]string{s, "x"}), l["k"], err)
		}
	}
}
