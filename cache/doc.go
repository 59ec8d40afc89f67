// Package cache owns the build plan: for every stage a target needs, the
// ordered steps (base, copies, installs with their cache mounts, the test
// command of a gate), the image config each stage sets, and the build
// context include set. The plan is plain data: `stagebuild plan` prints it
// and llbgen translates it to LLB without deciding anything itself.
//
// Detect finds the dependency manifests of a directory (pip requirements,
// poetry.lock, uv.lock, Pipfile.lock, npm/yarn/pnpm, go.mod) so that
// dependencies install in their own cached layer. What is normalised:
// Python package names follow PEP 503 (lowercase, runs of "-", "_", "."
// become "-") in Packages and in generated requirements; Poetry, uv and
// Pipenv locks are rewritten into a generated pip requirements file
// (name==version, environment marker, sorted by name, hashes kept only when
// every pin has one) that never mentions the project's own name or
// version, and pyproject.toml is never a layer input, so a version bump
// does not rebuild the dependency layer. Nothing else is rewritten: plain
// requirements files, Node and Go manifests are copied as they are.
//
// It is pure Go: no BuildKit client, no cobra.
package cache
