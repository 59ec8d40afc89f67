// Package targets owns target resolution: from the targets a user asked for
// (or the pipeline's default) it computes the stages that must be built, in
// dependency order, and the gates that guard each export.
//
// A stage's guards are its gated_by gates plus every gate it is built from,
// directly or through other stages (see Guards): an image whose base is a
// gate is implicitly guarded by it, so a failing gate never ships through a
// stage that starts from it.
//
// It is pure Go over pipeline types: no BuildKit client, no cobra.
package targets
