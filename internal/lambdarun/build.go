package lambdarun

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Build builds every function's bootstrap into out/<dir>/bootstrap with
// the deployment's flags (the Makefile's `bootstraps` target: CGO off,
// linux, -tags lambda.norpc, trimmed and stripped), for this machine's
// architecture: the emulator runs them here, where deployment builds
// arm64. One go build for all of them, so packages they share are
// compiled once and the build runs in parallel.
func Build(root, out string) error {
	cmd := exec.Command("make", "-s", "--no-print-directory", "-C", root, "bootstraps", "OUT="+out, "LAMBDA_ARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make bootstraps: %v\n%s", err, msg)
	}
	return nil
}

// Bootstrap is where Build put the bootstrap of functions/<dir>.
func Bootstrap(out, dir string) string { return filepath.Join(out, dir, "bootstrap") }
