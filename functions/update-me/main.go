// Command update-me serves PATCH /me of the management API: the caller's
// choice of language for their mail.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement()
	lambda.Start(api.UpdateMe)
}
