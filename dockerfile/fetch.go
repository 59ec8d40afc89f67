package dockerfile

import (
	"fmt"
	"path"
	"strings"

	"github.com/containerd/platforms"

	"github.com/stagebuild/stagebuild/plan"
)

// A fetch step is ADD --checksum=sha256:… URL DEST. A fetch in per-platform
// variants (steps naming their platforms) becomes one scratch stage per
// variant, which ADDs its URL; a stage picks its build platform's with
// TARGETOS, TARGETARCH and TARGETVARIANT, and the stage COPYs the file from
// it. A platform with no variant then names a stage that does not exist.

// platformArgs are the global ARGs the variant picker's FROM reads.
const platformArgs = "ARG TARGETOS\nARG TARGETARCH\nARG TARGETVARIANT\n"

// hasVariants reports whether any stage fetches per-platform variants.
func hasVariants(stages []*plan.Stage) bool {
	for _, st := range stages {
		for _, s := range st.Steps {
			if s.Kind == plan.StepFetch && len(s.Platforms) > 0 {
				return true
			}
		}
	}
	return false
}

// fetchGroup is the name of the stages that hold a fetch's variants: the
// stage's name and the step number of its first variant.
func fetchGroup(st *plan.Stage, dest string) (string, bool) {
	for i, s := range st.Steps {
		if s.Kind == plan.StepFetch && s.Dest == dest && len(s.Platforms) > 0 {
			return fmt.Sprintf("%s-fetch%d", st.Name, i+1), true
		}
	}
	return "", false
}

// variantName is a platform as a stage name suffix, as the picker spells
// it: linux/arm/v7 is linux-armv7.
func variantName(platform string) (string, error) {
	p, err := platforms.Parse(platform)
	if err != nil {
		return "", err
	}
	p = platforms.Normalize(p)
	return strings.ToLower(p.OS + "-" + p.Architecture + p.Variant), nil
}

// fetchedName is where a variant stage puts its file: under /out/, named
// as the fetch's destination will name it.
func fetchedName(step plan.Step) string {
	if strings.HasSuffix(step.Dest, "/") {
		return plan.FetchName(step.URL)
	}
	return path.Base(step.Dest)
}

// writeVariants writes, before a stage, the stages that fetch its files'
// per-platform variants and the stage that picks the build platform's.
func writeVariants(b *strings.Builder, st *plan.Stage) error {
	for i, s := range st.Steps {
		if s.Kind != plan.StepFetch || len(s.Platforms) == 0 {
			continue
		}
		group, _ := fetchGroup(st, s.Dest)
		for _, p := range s.Platforms {
			v, err := variantName(p)
			if err != nil {
				return fmt.Errorf("step %d (%s): platform %q: %w", i+1, s.Source, p, err)
			}
			line, err := addLine(plan.Step{URL: s.URL, Checksum: s.Checksum, Dest: "/out/" + fetchedName(s)})
			if err != nil {
				return fmt.Errorf("step %d (%s): %w", i+1, s.Source, err)
			}
			fmt.Fprintf(b, "FROM scratch AS %s-%s\n%s\n\n", group, v, line)
		}
		if isLastVariant(st, i) {
			fmt.Fprintf(b, "FROM %s-${TARGETOS}-${TARGETARCH}${TARGETVARIANT} AS %s\n\n", group, group)
		}
	}
	return nil
}

// isLastVariant reports whether step i is the last variant of its file.
func isLastVariant(st *plan.Stage, i int) bool {
	for _, s := range st.Steps[i+1:] {
		if s.Kind == plan.StepFetch && s.Dest == st.Steps[i].Dest && len(s.Platforms) > 0 {
			return false
		}
	}
	return true
}

// fetchLine is a fetch step's line in its stage: an ADD, or for a variant a
// COPY from its picker stage (once per file; "" for the other variants).
func fetchLine(st *plan.Stage, i int) (string, error) {
	step := st.Steps[i]
	if len(step.Platforms) == 0 {
		return addLine(step)
	}
	group, _ := fetchGroup(st, step.Dest)
	if group != fmt.Sprintf("%s-fetch%d", st.Name, i+1) {
		return "", nil
	}
	dest := step.Dest
	if !strings.HasSuffix(dest, "/") {
		dest = path.Dir(dest) + "/"
	}
	parts := []string{"COPY", "--from=" + group}
	parts, err := ownerFlags(parts, step)
	if err != nil {
		return "", err
	}
	return words(parts, "fetch destination", "/out/", dest)
}

// addLine is ADD [--chown] [--chmod] --checksum=… URL DEST.
func addLine(step plan.Step) (string, error) {
	parts, err := ownerFlags([]string{"ADD"}, step)
	if err != nil {
		return "", err
	}
	w, err := flagValue("checksum", step.Checksum)
	if err != nil {
		return "", err
	}
	return words(append(parts, "--checksum="+w), "fetch destination", step.URL, step.Dest)
}

// ownerFlags adds a step's --chown and --chmod.
func ownerFlags(parts []string, step plan.Step) ([]string, error) {
	for _, f := range []struct{ flag, what, value string }{{"chown", "copy owner", step.Chown}, {"chmod", "copy mode", step.Chmod}} {
		if f.value == "" {
			continue
		}
		w, err := flagValue(f.what, f.value)
		if err != nil {
			return nil, err
		}
		parts = append(parts, "--"+f.flag+"="+w)
	}
	return parts, nil
}

// words appends src and dest bare when the lexer reads them back unchanged,
// else the whole pair in the JSON form.
func words(parts []string, what, src, dest string) (string, error) {
	s, err1 := word("fetch source", src)
	d, err2 := word(what, dest)
	switch {
	case err1 != nil:
		return "", err1
	case err2 != nil:
		return "", err2
	case s == src && d == dest:
		parts = append(parts, s, d)
	default:
		parts = append(parts, jsonWords([]string{src, dest}))
	}
	return strings.Join(parts, " "), nil
}
