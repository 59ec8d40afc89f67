// Command bench benchmarks stagebuild against BuildKit's own Dockerfile
// frontend and writes BENCHMARKS.md. It is a harness, not a timed test:
// nothing fails when a target is missed; the report says so and why.
//
//	make bench                                  # = make env build bin/buildctl; go run ./bench -o BENCHMARKS.md
//	go run ./bench -runs 3 -scenarios noop,src-edit -keep
//	go run ./bench -scenarios services -o /tmp/s.md          # one scenario, then
//	go run ./bench -merge /tmp/s.md -scenarios services       # its section into BENCHMARKS.md
//	go run ./bench -pipeline lock -o out/BENCHMARKS-lock.md   # the lockfile shape, then
//	go run ./bench -merge out/BENCHMARKS-lock.md -scenarios lock   # (both in make bench)
//
// It owns these pieces:
//   - daemon.go: a private buildkitd (bin/buildkitd, the testenv config, a
//     temp root and socket). It never touches the shared default daemon. A
//     cold run deletes its root and restarts it. It is stopped on exit and on
//     SIGINT/SIGTERM.
//   - tools.go: the tools. S is bin/stagebuild on a copy of
//     examples/python-service whose stagebuild.yaml is replaced by
//     bench/python-service.stagebuild.yaml (the Dockerfile's exact
//     equivalent; -pipeline example keeps the example's own); B1 is
//     bin/buildctl with
//     bench/python-service.Dockerfile (target service, which copies a marker
//     from tests); B2 is buildctl target=tests then target=service; F
//     (unless -frontend=false) is buildctl --frontend gateway.v0 with the
//     stagebuild frontend image (testenv) on S's pipeline, compared with S
//     in a section of its own. -output push makes every tool push to the
//     local registry instead of writing an OCI tar.
//   - scenarios.go: cold, noop, src-edit, req-edit, noisy-context and
//     failing-test, each on a fresh workspace, with warm-up builds and a
//     per-invocation edit.
//   - progress.go: reads BuildKit's rawjson progress (client.SolveStatus per
//     line) and derives steps executed/cached, the pytest time, the
//     context-transfer time and bytes, and pip's cache use.
//   - kinds.go: vertex time by kind (pull, run, copy, export, context) and
//     the longest vertices, which the notes use to say where time went.
//   - report.go, verdict.go: medians, ratios, targets, notes and the
//     markdown; machine.go: the machine and `go test -bench Generate500`.
//   - services.go, services_host.go, services_report.go: the services
//     scenario (issue 7), which compares other tools: S on a copy of
//     examples/notes-pg, whose integrated gate runs beside a Postgres
//     service, against H, the same tests with pytest from a host venv
//     against a host Postgres (Debian's postgresql-15, installed with apt
//     when missing, run as the postgres user in a temp dir) that is up
//     before the clock starts. It has a section of its own.
//   - lockshape.go, lockreport.go: the lockfile shape (-pipeline lock): the
//     example as a uv project (a pyproject.toml from its requirements files,
//     a uv.lock from a uv that pip installs into a temp venv, and the
//     requirements files init generates from it, all made at setup and never
//     committed), S on bench/python-service-lock.stagebuild.yaml against B1/B2
//     on bench/python-service-lock.Dockerfile, scenarios cold, noop and
//     src-edit; its report is one "## Lockfile shape" section.
//   - merge.go: -merge copies the sections of their own (services, llbgen,
//     lock) from one report into another, leaving the rest as it is.
//
// Vertex names are matched by substring so that renames in stagebuild or
// the Dockerfile frontend do not break the harness: "pytest" (the test
// step), "pip install", "build context" / a "transferring context:" status
// (the context transfer), "[deps" and "[test_deps" prefixes, and the
// non-step markers listed in progress.go (nonSteps).
package main
