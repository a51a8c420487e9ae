// Package coldstart runs a Lambda function's one-time wiring: every main
// builds its handler through Must, so a bad configuration ends the cold
// start with one logged reason instead of serving requests it cannot answer.
package coldstart

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/patservice/pat/internal/config"
	"github.com/patservice/pat/internal/version"
)

// Must runs build with the Lambda logger. What cannot be built is logged
// and ends the cold start, so Lambda reports an init error. A cold start
// that succeeds logs the release's version and the names (never the
// values) of the environment variables its configuration read: what an
// operator compares with the function's configuration, and what the tests
// compare with the template.
func Must[T any](build func(*slog.Logger) (T, error)) T {
	log := lambdacontext.NewLogger()
	v, err := build(log)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	logColdStart(log)
	return v
}

// Log logs the cold-start line of a function with nothing to build (the
// demo backend, the problem pages), so every function's log names its
// release.
func Log() { logColdStart(lambdacontext.NewLogger()) }

func logColdStart(log *slog.Logger) {
	log.Info("cold start", "version", version.Version, "variables", config.Variables())
}
