package cli

import (
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"

	"github.com/stagebuild/stagebuild/buildflags"
	"github.com/stagebuild/stagebuild/daemon"
)

// BuildxOptions are the build flags named and shaped as docker buildx's.
type BuildxOptions struct {
	TLS           daemon.TLS
	Secrets       []buildflags.Secret
	SSH           []sshprovider.AgentConfig
	Pull          bool
	NoCache       bool
	NoCacheFilter []string
	MetadataFile  string
	Labels        map[string]string
	Annotations   map[string]string
	Load          bool
	// Platforms are --platform; none means the default platform.
	Platforms []ocispecs.Platform
}

type buildxFlags struct {
	tls                         daemon.TLS
	secrets, ssh, noCacheFilter []string
	labels, annotations         []string
	platforms                   []string
	pull, noCache, load         bool
	metadataFile                string
}

func (f *buildxFlags) register(fl *pflag.FlagSet) {
	fl.StringArrayVar(&f.secrets, "secret", nil, "secret for run steps that declare it: id=ID,src=PATH | id=ID,env=VAR; repeatable")
	fl.StringArrayVar(&f.ssh, "ssh", nil, "SSH agent or keys for run steps that declare ssh: default | ID=PATH[,PATH]; repeatable")
	fl.StringArrayVar(&f.platforms, "platform", nil, "target platforms, comma-separated: linux/amd64,linux/arm64; repeatable (default: this machine's)")
	fl.BoolVar(&f.noCache, "no-cache", false, "run every step again")
	fl.StringArrayVar(&f.noCacheFilter, "no-cache-filter", nil, "run this stage's steps again; repeatable")
	fl.BoolVar(&f.pull, "pull", false, "always resolve and fetch base images from their registry")
	fl.BoolVar(&f.load, "load", false, "load the built image into the local Docker engine (docker load)")
	fl.StringVar(&f.metadataFile, "metadata-file", "", "write the build result (digests, image names, gate verdicts) as JSON to FILE")
	fl.StringArrayVar(&f.labels, "label", nil, "add a label to the exported images: KEY=VALUE; repeatable")
	fl.StringArrayVar(&f.annotations, "annotation", nil, "add a manifest annotation to image outputs: KEY=VALUE; repeatable")
	fl.StringVar(&f.tls.CACert, "tlscacert", "", "CA certificate for a tcp:// daemon")
	fl.StringVar(&f.tls.Cert, "tlscert", "", "client certificate for a tcp:// daemon")
	fl.StringVar(&f.tls.Key, "tlskey", "", "client key for a tcp:// daemon")
	fl.StringVar(&f.tls.ServerName, "tlsservername", "", "server name to verify the daemon's certificate against")
}

func (f *buildxFlags) options() (BuildxOptions, error) {
	o := BuildxOptions{TLS: f.tls, Pull: f.pull, NoCache: f.noCache, NoCacheFilter: f.noCacheFilter,
		MetadataFile: f.metadataFile, Load: f.load}
	for _, spec := range f.secrets {
		s, err := buildflags.ParseSecret(spec)
		if err != nil {
			return o, err
		}
		o.Secrets = append(o.Secrets, s)
	}
	for _, spec := range f.ssh {
		c, err := buildflags.ParseSSH(spec)
		if err != nil {
			return o, err
		}
		o.SSH = append(o.SSH, c)
	}
	var err error
	if o.Platforms, err = buildflags.ParsePlatforms(f.platforms); err != nil {
		return o, err
	}
	if o.Labels, err = buildflags.KeyValues("--label", f.labels); err != nil {
		return o, err
	}
	if o.Annotations, err = buildflags.KeyValues("--annotation", f.annotations); err != nil {
		return o, err
	}
	return o, nil
}
