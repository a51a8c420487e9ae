package httpapi

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The links of a request's mails lead to the keep page of the API the
// request came in on: HTTPS, but plain HTTP on the local machine; no link
// from a domain that is not one.
func TestKeepURL(t *testing.T) {
	for domain, want := range map[string]string{
		"abc123.execute-api.eu-central-1.amazonaws.com": "https://abc123.execute-api.eu-central-1.amazonaws.com/keep",
		"Tokens.Example.com":                            "https://tokens.example.com/keep",
		"127.0.0.1:8080":                                "http://127.0.0.1:8080/keep",
		"localhost:8080":                                "http://localhost:8080/keep",
		"[::1]:8080":                                    "http://[::1]:8080/keep",
		"":                                              "",
		"evil.example/x?":                               "",
		"user@evil.example":                             "",
	} {
		got := ""
		if base := apiBase(events.APIGatewayV2HTTPRequestContext{DomainName: domain, Stage: "$default"}); base != "" {
			got = base + "/keep"
		}
		if got != want {
			t.Errorf("the keep link of %q = %q, want %q", domain, got, want)
		}
	}
}
