// Command lifecycle is the scheduled job: reminders before tokens are
// deleted for inactivity or expire, then the deletion or expiry.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/patservice/pat/internal/app"
)

func main() {
	job := app.MustJob()
	lambda.Start(job.Handle)
}
