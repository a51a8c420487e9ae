// Command admin-list-users serves GET /admin/users of the management API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement()
	lambda.Start(api.AdminListUsers)
}
