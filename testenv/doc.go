// Package testenv owns stagebuild's hermetic test environment: everything an
// integration test needs that cannot be pulled from the network here.
//
// Up makes sure, idempotently and quickly when already done:
//   - the host tools runc, debootstrap and a static /bin/busybox (apt-installed);
//   - <repo>/bin/buildkitd (pinned in go.mod) and <repo>/bin/registry (pinned
//     in tools/go.mod, a separate module so it cannot move BuildKit's versions);
//   - a detached local registry on RegistryAddr, data under StateDir()/registry;
//   - locally built base images in that registry: library/python:3.11-slim-bookworm
//     (debootstrap, host CAs trusted, tars cached by recipe hash under
//     StateDir()/testenv/images) and library/busybox:latest;
//   - QEMU for arm64: Debian's qemu-user-static, its aarch64 binfmt_misc
//     handler registered with the fix-binary flag, and MultiarchBusybox
//     (library/busybox-multiarch:latest, an index of linux/amd64 and
//     linux/arm64; the arm64 busybox-static .deb fetched once with apt);
//   - StateDir()/buildkitd.toml, a copy of buildkitd.toml, which makes
//     docker.io resolve through the local registry;
//   - a dockerd of its own (Debian's docker.io, apt-installed if missing) on
//     DockerHost(StateDir()), with --bridge=none --iptables=false, for --load.
//
// It also exports read-only helpers for tests: ListTags and ReadOCITar.
// Nothing here mocks BuildKit or the registry.
package testenv
