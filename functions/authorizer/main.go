// Command authorizer is the API Gateway request authorizer: REST API REQUEST
// and HTTP API payload 2.0 events, checked against DynamoDB.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app/authorizer"
)

func main() {
	h := authorizer.Must()
	lambda.Start(h.Handle)
}
