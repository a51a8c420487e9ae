// Command mail-events records SES bounces and complaints (delivered by SNS
// from the configuration set) as unreachable owner addresses.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	h := app.MustMailEvents()
	lambda.Start(h.Handle)
}
