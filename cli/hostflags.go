package cli

import (
	"github.com/spf13/pflag"

	"github.com/stagebuild/stagebuild/buildflags"
)

// hostFlags are --ca-cert and --provenance (buildflags.HostFlags).
type hostFlags struct {
	caCerts    []string
	provenance string
}

func (f *hostFlags) register(fl *pflag.FlagSet) {
	fl.StringArrayVar(&f.caCerts, "ca-cert", nil, `trust the CAs of this PEM file in every build step, never in the image; "host" is the host's bundle ($SSL_CERT_FILE, else `+buildflags.SystemCABundle+"); repeatable")
	fl.StringVar(&f.provenance, "provenance", "", "attach a provenance attestation: mode=min, mode=max, true (mode=min) or false")
}

func (f *hostFlags) options() (buildflags.HostFlags, error) {
	o := buildflags.HostFlags{CACerts: f.caCerts}
	var err error
	o.Provenance, err = buildflags.ParseProvenance(f.provenance)
	return o, err
}
