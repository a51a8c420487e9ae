// Package coldstart runs a Lambda function's one-time wiring: every main
// builds its handler through Must, so a bad configuration ends the cold
// start with one logged reason instead of serving requests it cannot answer.
package coldstart

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Must runs build with the Lambda logger. What cannot be built is logged
// and ends the cold start, so Lambda reports an init error.
func Must[T any](build func(*slog.Logger) (T, error)) T {
	log := lambdacontext.NewLogger()
	v, err := build(log)
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	return v
}
