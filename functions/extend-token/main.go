// Command extend-token serves POST /tokens/{id}/extend of the management API.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement(context.Background())
	lambda.Start(api.ExtendToken)
}
