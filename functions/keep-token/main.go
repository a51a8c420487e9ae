// Command keep-token serves GET and POST /keep: the one-click link of a
// reminder mail. It is public; the link's code is its only credential.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement()
	lambda.Start(api.KeepToken)
}
