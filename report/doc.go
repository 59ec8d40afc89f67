// Package report owns the test reports that gates leave behind: it reads
// JUnit XML (as written by pytest --junitxml, and the usual variants from
// jest-junit, go-junit-report and ruff) into a Summary of counts and failing
// cases, and renders failing cases as GitHub Actions annotations.
//
// It is pure Go: no BuildKit client, no cobra. Finding and copying the
// report files out of a test container is the build package's job.
package report
