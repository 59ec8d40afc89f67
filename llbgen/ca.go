package llbgen

import (
	"github.com/moby/buildkit/client/llb"
)

// CASecretID names the trusted CA bundle among the session's secrets.
const CASecretID = "stagebuild-ca"

// CAPath is where every run step, install step, test and command check
// finds the trusted CA bundle. It is a secret mount: read-only, outside
// every layer, and its content is not part of any cache key.
const CAPath = "/run/stagebuild/ca.pem"

// CAEnv returns the variables that point the usual tools at CAPath: OpenSSL
// and everything built on it (Python's ssl, uv, git's curl), requests and
// Poetry, pip, curl, git and Node. They are set on each exec alone, never in
// a stage's or image's config.
func CAEnv() []string {
	return []string{
		"SSL_CERT_FILE",       // OpenSSL, Python's ssl module, uv, Ruby, Go's crypto/x509
		"REQUESTS_CA_BUNDLE",  // requests, Poetry
		"PIP_CERT",            // pip (its vendored requests ignores SSL_CERT_FILE)
		"CURL_CA_BUNDLE",      // curl, and requests' fallback
		"GIT_SSL_CAINFO",      // git over HTTPS
		"NODE_EXTRA_CA_CERTS", // Node and npm: added to the bundled roots
	}
}

// caOptions mounts the bundle and sets CAEnv for one exec, when the build
// provides a bundle. The env values are the fixed path, and the secret's
// content is not keyed, so one bundle or another gives the same cache keys.
//
// A frontend, which serves no session secret, gives the bundle itself
// (Options.CAFile): it is mounted from a file of that content, which is
// then in the cache keys, so another bundle runs the steps again.
func caOptions(opts Options) []llb.RunOption {
	var ro []llb.RunOption
	switch {
	case len(opts.CAFile) > 0:
		f := llb.Scratch().File(llb.Mkfile("ca.pem", 0o444, opts.CAFile), llb.WithCustomName("[internal] CA bundle"))
		ro = append(ro, llb.AddMount(CAPath, f, llb.SourcePath("ca.pem"), llb.Readonly))
	case opts.CA:
		// Readable by any user: a step or check may run as the image's
		// user, and a CA certificate is public.
		ro = append(ro, llb.AddSecret(CAPath, llb.SecretID(CASecretID), llb.SecretFileOpt(0, 0, 0o444)))
	default:
		return nil
	}
	for _, k := range CAEnv() {
		ro = append(ro, llb.AddEnv(k, CAPath))
	}
	return ro
}
