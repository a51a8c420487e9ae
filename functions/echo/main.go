// Command echo is the example backend of the protected demo API: it returns
// the authorizer's context.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/coldstart"
	"github.com/patservice/pat/internal/demo"
)

func main() {
	coldstart.Log()
	lambda.Start(demo.Echo)
}
