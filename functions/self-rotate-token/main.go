// Command self-rotate-token serves POST /tokens/self/rotate of the
// management API: a token holding tokens:self-rotate replaces itself,
// authenticated by itself.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	api := app.MustManagement()
	lambda.Start(api.SelfRotateToken)
}
