// Command admin-lock-token serves POST /admin/tokens/{id}/lock of the management API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement()
	lambda.Start(api.AdminLockToken)
}
