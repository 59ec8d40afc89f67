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
	// UnzipImage is what the uv stage unpacks uv's wheel in: not the base
	// image, whose pull takes seconds on a cold build, but a small image
	// pulled beside it, so uv is ready by the time the base image is.
	UnzipImage = "busybox:1.37"
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

// uv's wheels, as https://pypi.org/pypi/uv/json lists them for UVVersion
// (releases["0.13.10"], the manylinux files; their digests' sha256), on
// files.pythonhosted.org, where PyPI serves them. One per platform the
// pipeline builds for; another platform fails at plan time, naming these.
var uvWheels = []struct{ Platform, URL, SHA256 string }{
	{"linux/amd64", "https://files.pythonhosted.org/packages/8b/99/fad906311e48fce22e4db71ee4c3df29bdb17b29eb36878f52b8dcd79237/" +
		"uv-0.13.10-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"7cc9c41b43d583e34c781fd3446405b06e9c5fa2db468ce2a534d353db6429e5"},
	{"linux/arm64", "https://files.pythonhosted.org/packages/97/4b/12a9e73be39829da3ece358385c3c019ecdea91a5fc704381d584ad9a387/" +
		"uv-0.13.10-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl",
		"e89dd26ea831dde70639ba0a798fa04a4c7c0226fd2b241da86218bfa370e495"},
}

// UVWheel is where the uv stage puts the fetched wheel.
const UVWheel = "/tmp/uv.whl"

// uvStage writes the stage that provides uv: its wheel for the build's
// platform, fetched by the daemon (pinned by its sha256, beside the base
// image's pull), of which the base image's python extracts only the uv
// binary, as /uv/uv.
func (p *Project) uvStage(w *writer) {
	if !p.useUV() {
		return
	}
	w.line(2, "uv:", "the installer: mounted into deps and test_deps, never in an image")
	w.line(4, "from: "+UnzipImage, "")
	w.comment(4, "uv "+UVVersion+"'s wheel from PyPI for the build's platform, fetched by the")
	w.comment(4, "daemon while it pulls the base image and checked against its sha256;")
	w.comment(4, "busybox's unzip (a 2 MB image, pulled beside the base) keeps only its")
	w.comment(4, "binary, as /uv/uv, so uv is ready when the base image is.")
	w.comment(4, "`stagebuild init --installer pip` writes a pipeline without uv (for an")
	w.comment(4, "index or network uv cannot use: uv reads no pip.conf or PIP_* settings).")
	w.line(4, "copy:", "")
	for _, whl := range uvWheels {
		w.line(6, "- url: "+whl.URL, "")
		w.line(8, "checksum: sha256:"+whl.SHA256, "")
		w.line(8, "platform: "+whl.Platform, "")
		w.line(8, "to: "+UVWheel, "")
	}
	w.line(4, "run: mkdir /uv && unzip -p "+UVWheel+" uv-"+UVVersion+".data/scripts/uv > /uv/uv && test -s /uv/uv && chmod 0755 /uv/uv", "")
	w.blank()
}

// uvMount writes a stage's mount of the uv stage.
func (p *Project) uvMount(w *writer) {
	if p.useUV() {
		w.line(4, "mounts: [{from: uv, source: /uv, target: "+UVMount+"}]", "uv, for the run steps only")
	}
}
