// Package pipeline owns the stagebuild.yaml format: it parses the file into
// typed, validated structs and keeps the file:line:col of every value so that
// later packages can point errors back at what the user wrote. A large
// file's stages are parsed in pieces side by side when that is sure to give
// what one parse of the whole file gives (split.go).
//
// It is pure Go: it imports neither the BuildKit client nor cobra. What a
// stage means for the build (which stages a target needs, which gates guard
// it, in which order layers are made) is decided by the targets and cache
// packages, not here.
package pipeline
