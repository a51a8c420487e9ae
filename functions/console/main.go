// Command console serves the web console (GET /, /console, /console/*)
// through the management API's HTTP API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/coldstart"
	"github.com/patservice/pat/internal/console"
)

func main() {
	c := coldstart.Must(console.FromEnv)
	lambda.Start(c.Handle)
}
