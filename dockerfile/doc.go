// Package dockerfile ejects a plan as an equivalent multi-stage Dockerfile,
// for `stagebuild dockerfile`: one stage per planned stage, its image config
// as WORKDIR, ENV, USER, LABEL, EXPOSE, ENTRYPOINT and CMD, its copies as
// COPY, its run steps and test command as RUN with the same cache mounts.
// A gated image mounts each of its blocking gates in a no-op RUN, so
// BuildKit cannot prune the tests of `--target service` and nothing of the
// gate lands in the image. What a Dockerfile cannot express (image checks,
// purity checks, reports, advisory gates) is named in comments.
//
// The output needs only BuildKit's built-in dockerfile frontend: no
// `# syntax=` line, so no frontend image is pulled.
//
// It is pure Go over the plan: no BuildKit client, no cobra.
package dockerfile
