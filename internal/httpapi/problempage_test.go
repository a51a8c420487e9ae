package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// Every code the API answers with (pat.Codes) has a page, with its status;
// the authorizer's RFC 6750 codes too.
func TestEveryProblemHasAPage(t *testing.T) {
	codes := []string{"invalid_token", "insufficient_scope"}
	for _, code := range pat.Codes() {
		codes = append(codes, string(code))
	}
	for _, code := range codes {
		resp, err := ProblemPage(context.Background(), events.APIGatewayV2HTTPRequest{PathParameters: map[string]string{"code": code}})
		if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, "<code>"+code+"</code>") {
			t.Errorf("%s: %d %v", code, resp.StatusCode, err)
		}
		if want, ok := statusOf[pat.Code(code)]; ok && problemDocs[code].Status != want {
			t.Errorf("%s: the page says %d, the API answers %d", code, problemDocs[code].Status, want)
		}
	}
}
