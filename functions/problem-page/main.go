// Command problem-page serves GET /problems/{code}: what an error code
// means. It needs no configuration and no table.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/coldstart"
	"github.com/patservice/pat/internal/httpapi"
)

func main() {
	coldstart.Log()
	lambda.Start(httpapi.ProblemPage)
}
