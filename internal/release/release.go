// Package release builds and checks what a release publishes: every
// function zipped as Lambda runs it (make release) with its checksums, and
// the template's listing in the AWS Serverless Application Repository.
package release

import (
	"fmt"
	"os/exec"
)

// Build runs make release in the repository root, writing the zips and
// SHA256SUMS into out.
func Build(root, out string) error {
	cmd := exec.Command("make", "-s", "--no-print-directory", "-C", root, "release", "RELEASE_OUT="+out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make release: %v\n%s", err, msg)
	}
	return nil
}
