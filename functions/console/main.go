// Command console serves the web console (GET /, /console, /console/*)
// through the management API's HTTP API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	c := app.MustConsole()
	lambda.Start(c.Handle)
}
