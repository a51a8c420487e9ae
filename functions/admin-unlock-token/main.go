// Command admin-unlock-token serves POST /admin/tokens/{id}/unlock of the management API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement()
	lambda.Start(api.AdminUnlockToken)
}
