// Command get-token serves GET /tokens/{id} of the management API.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement(context.Background())
	lambda.Start(api.GetToken)
}
