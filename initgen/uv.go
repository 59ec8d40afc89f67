package initgen

import (
	"fmt"
	"strings"
)

// Installers the generated pipeline installs the dependencies with
// (Project.Installer).
const (
	// InstallerUV installs with uv, fetched from PyPI by a uv stage and
	// mounted read-only into the install steps: never in an image. It is
	// the default: a cold install takes about a quarter of pip's time.
	InstallerUV = "uv"
	// InstallerPip installs with the base image's pip: for an index or
	// network that uv cannot use, or a project that relies on pip's own
	// behaviour (pip.conf, PIP_* settings, which uv does not read).
	InstallerPip = "pip"
)

// Installers are the values of --installer, the default first.
func Installers() []string { return []string{InstallerUV, InstallerPip} }

// The uv the generated pipeline uses.
const (
	// UVVersion is the uv release the uv stage fetches (pinned: one
	// pipeline, one installer).
	UVVersion = "0.13.10"
	// UVMount is where deps and test_deps see the uv stage's /uv.
	UVMount = "/opt/uv"
	UVCache = "/root/.cache/uv"
)

// uvFlags are what every generated uv install passes: the system CA store
// (which a TLS-inspecting proxy's CA is added to, and which pip on Debian
// uses too; ca_certs and --ca-cert set SSL_CERT_FILE, which uv reads as
// well), copies from a cache that is on another filesystem anyway, and
// compiled modules, as pip writes them.
const uvFlags = "--system-certs --link-mode=copy --compile-bytecode"

// useUV reports whether the pipeline installs with uv: the default, when
// there is something to install.
func (p *Project) useUV() bool {
	return p.Installer != InstallerPip && (hasPipInstall(p.Deps.Run) || hasPipInstall(p.TestDeps.Run))
}

// installs are a stage's run commands as the pipeline writes them: each
// pip install with SOURCE_DATE_EPOCH (hashPyc), and run by the mounted uv
// unless the installer is pip.
func (p *Project) installs(cmds []string) []string {
	if !p.useUV() {
		return hashPyc(cmds)
	}
	out := make([]string, len(cmds))
	for i, c := range cmds {
		if rest, ok := strings.CutPrefix(c, "pip install "); ok {
			c = fmt.Sprintf("SOURCE_DATE_EPOCH=%s %s/uv pip install %s %s", PycEpoch, UVMount, uvFlags, rest)
		}
		out[i] = c
	}
	return out
}

// installCache is the cache mount of the install steps.
func (p *Project) installCache() string {
	if p.useUV() {
		return UVCache
	}
	return PipCache
}

// uvStage writes the stage that fetches uv: its wheel from PyPI through the
// base image's pip (so the index pip is configured with applies), of which
// only the uv binary is kept, as /uv/uv. It runs while deps makes its venv.
func (p *Project) uvStage(w *writer) {
	if !p.useUV() {
		return
	}
	w.line(2, "uv:", "the installer: mounted into deps and test_deps, never in an image")
	w.line(4, "from: ${PYTHON_IMAGE}", "")
	w.line(4, "env:", "")
	w.line(6, `PIP_DISABLE_PIP_VERSION_CHECK: "1"`, "")
	w.comment(4, "uv's wheel from PyPI, fetched by the base image's pip; only its binary")
	w.comment(4, "is kept, as /uv/uv. `stagebuild init --installer pip` writes a pipeline")
	w.comment(4, "without uv (for an index or network uv cannot use: uv reads no pip.conf")
	w.comment(4, "or PIP_* settings).")
	w.line(4, "run: >-", "")
	for _, l := range []string{
		"pip download --no-deps --only-binary=:all: --dest /tmp/uv uv==" + UVVersion + " &&",
		`python -c "import glob, zipfile; z = zipfile.ZipFile(glob.glob('/tmp/uv/uv-*.whl')[0]);`,
		`m = [i for i in z.infolist() if i.filename.endswith('.data/scripts/uv')][0];`,
		`m.filename = 'uv'; z.extract(m, '/uv')" && chmod 0755 /uv/uv && rm -rf /tmp/uv`,
	} {
		w.line(6, l, "")
	}
	w.list(4, "cache", []string{PipCache}, "")
	w.blank()
}

// uvMount writes a stage's mount of the uv stage.
func (p *Project) uvMount(w *writer) {
	if p.useUV() {
		w.line(4, "mounts: [{from: uv, source: /uv, target: "+UVMount+"}]", "uv, for the run steps only")
	}
}
