// Package llbgen owns the translation of a plan.Plan into BuildKit LLB: one
// llb.State per stage with readable vertex names, FileOp copies from the
// build context, http sources pinned by their checksum for url: copies
// (fetch.go; only the variants of the graph's platform), cache mounts on run
// steps, and the OCI image config each stage ends up with. It decides
// nothing the plan does not say; base image configs arrive already
// resolved, so the package needs no daemon and its output can be tested by
// marshalling. A graph marshals each vertex once for
// all the definitions a build solves from it (marshal.go), on both cores
// while the stages are still being generated (warm.go), and gives each
// definition in its wire form (*pb.Definition) with metadata entries shared
// between definitions. Each stage starts a state value chain of its own
// (config.go), so generation stays linear in the pipeline's size. The
// most frequent ops (context sources, copies, run steps with no mount but
// caches) are llbgen's own llb.Vertex types (local.go, copyop.go,
// runop.go), built and encoded directly; ops_test.go holds every
// definition byte-identical to what llb's own constructors give.
package llbgen
