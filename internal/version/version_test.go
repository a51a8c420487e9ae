package version_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/version"
)

// semver is Semantic Versioning 2.0.0's version without build metadata.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// The VERSION file holds one semantic version and nothing else, the
// development version is one too, and a binary built without the Makefile
// (this test) reports the development version. That the Makefile's
// binaries report VERSION is checked where they run: the Lambda suite
// (internal/lambdarun) reads each function's cold-start line.
func TestVersionsAreSemantic(t *testing.T) {
	raw, err := os.ReadFile("../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	release, ok := strings.CutSuffix(string(raw), "\n")
	if !ok || strings.Contains(release, "\n") {
		t.Errorf("VERSION must be one line: %q", raw)
	}
	for _, v := range []string{release, version.Development} {
		if !semver.MatchString(v) {
			t.Errorf("%q is no semantic version", v)
		}
	}
	if version.Version != version.Development {
		t.Errorf("a test binary reports %q, want the development version %q", version.Version, version.Development)
	}
}
