// Package buildflags parses what a user writes on the command line (or in
// the environment in a flag's place) into the values a build consumes, as
// docker buildx's util/buildflags does: outputs (-o in buildx syntax, -t
// with --push, --load) and their assignment to targets, --cache-from and
// --cache-to, --secret, --ssh, --build-arg, --label and --annotation,
// --provenance, SOURCE_DATE_EPOCH, and the CA bundle of --ca-cert and the
// pipeline's ca_certs with the proxy settings (HostConfig).
//
// It owns the exact error texts of those flags. It registers no flags (the
// cli package does) and runs nothing: package build consumes its types and
// parses no user strings itself.
package buildflags
