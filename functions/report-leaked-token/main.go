// Command report-leaked-token serves POST /tokens/{id}/leaked of the management API.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustLeaks()
	lambda.Start(api.ReportLeakedToken)
}
