// Package targets owns target resolution: from the targets a user asked for
// (or the pipeline's default) it computes the stages that must be built, in
// dependency order, and the gates that guard each export.
//
// It is pure Go over pipeline types: no BuildKit client, no cobra.
package targets
