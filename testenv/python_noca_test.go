package testenv

import (
	"path/filepath"
	"testing"
)

// The no-CA python image is the python recipe without the host's CAs,
// cached and pruned apart from the python image.
func TestPythonNoCAImage(t *testing.T) {
	py, err := pythonImage()
	if err != nil {
		t.Fatal(err)
	}
	noca, err := pythonNoCAImage()
	if err != nil {
		t.Fatal(err)
	}
	r := noca.recipe.(pythonRecipe)
	if len(r.CAs) != 0 {
		t.Errorf("the noca recipe copies host CAs: %v", r.CAs)
	}
	pr := py.recipe.(pythonRecipe)
	if r.Suite != pr.Suite || r.Mirror != pr.Mirror || len(r.Include) != len(pr.Include) || len(r.Steps) != len(pr.Steps) {
		t.Errorf("the noca recipe is not the python recipe: %+v vs %+v", r, pr)
	}
	if noca.repo != py.repo || len(noca.tags) != 1 || noca.tags[0] != PythonNoCATag {
		t.Errorf("noca is published as %s:%v", noca.repo, noca.tags)
	}
	kp, _ := py.key()
	kn, _ := noca.key()
	if kp == kn {
		t.Errorf("both images have the cache key %s", kp)
	}
	// pruneCache(dir, "python", key) removes python-* files of other keys;
	// the noca cache files must never match.
	if m, _ := filepath.Match(py.name+"-*", noca.name+"-"+kn+".tar.gz"); m {
		t.Errorf("the python image's pruning would delete %s-%s.tar.gz", noca.name, kn)
	}
	if noca.config.Cmd[0] != py.config.Cmd[0] || len(noca.config.Env) != len(py.config.Env) {
		t.Errorf("configs differ: %+v vs %+v", noca.config, py.config)
	}
}
