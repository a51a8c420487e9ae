// Command admin-list-audit serves GET /admin/audit of the management API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement()
	lambda.Start(api.AdminListAudit)
}
