// Command get-me serves GET /me of the management API: the caller, what
// they may do, and the catalog, for the console.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement()
	lambda.Start(api.GetMe)
}
