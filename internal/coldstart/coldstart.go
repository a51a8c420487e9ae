// Package coldstart runs a Lambda function's one-time wiring: every main
// builds its handler through Must, so a bad configuration ends the cold
// start with one logged reason instead of serving requests it cannot answer.
package coldstart

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/patservice/pat/internal/config"
)

// Must runs build with the Lambda logger. What cannot be built is logged
// and ends the cold start, so Lambda reports an init error. A cold start
// that succeeds logs the names (never the values) of the environment
// variables its configuration read: what an operator compares with the
// function's configuration, and what the tests compare with the template.
func Must[T any](build func(*slog.Logger) (T, error)) T {
	log := lambdacontext.NewLogger()
	v, err := build(log)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	log.Info("cold start", "variables", config.Variables())
	return v
}
