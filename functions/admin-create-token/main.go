// Command admin-create-token serves POST /admin/users/{id}/tokens: an
// administrator creates a token for a user.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement()
	lambda.Start(api.AdminCreateToken)
}
