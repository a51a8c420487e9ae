// Command report-leaks serves POST /leaks/github of the management API:
// GitHub's secret-scanning reports of leaked tokens, authenticated by
// their signature.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustLeakReports()
	lambda.Start(api.ReportLeaks)
}
