// Package version is the release a binary belongs to: the semantic
// version in the repository's VERSION file, stamped in at build time by the
// Makefile (make build, make bootstraps, make release, sam build).
package version

// Development is what a binary built without the Makefile reports (go
// test, go run, a plain go build): a semantic version that sorts before
// every release.
const Development = "0.0.0-dev"

// Version is the release's semantic version. The Makefile sets it with
// -ldflags "-X github.com/patservice/pat/internal/version.Version=<VERSION>".
var Version = Development
