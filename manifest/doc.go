// Package manifest owns dependency manifests: Detect finds the manifests of a
// directory (pip requirements with their -r/-c includes, poetry.lock,
// uv.lock, Pipfile.lock, npm/yarn/pnpm, go.mod) and ParseRequirements reads a
// requirements file and everything it includes.
//
// What is normalised: Python package names follow PEP 503 (NormalizeName:
// lowercase, runs of "-", "_", "." become "-") in Packages and in generated
// requirements; Poetry, uv and Pipenv locks are rewritten into a generated
// pip requirements file (name==version, environment marker, sorted by name,
// hashes kept only when every pin has one) that never mentions the project's
// own name or version, and pyproject.toml is never a layer input, so a
// version bump does not rebuild the dependency layer. Nothing else is
// rewritten: plain requirements files, Node and Go manifests are copied as
// they are.
//
// It is a leaf: pure Go over an fs.FS, importing no other stagebuild package,
// no BuildKit client and no cobra.
package manifest
