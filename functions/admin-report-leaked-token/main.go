// Command admin-report-leaked-token serves POST /admin/tokens/{id}/leaked of the management API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustLeaks()
	lambda.Start(api.AdminReportLeakedToken)
}
