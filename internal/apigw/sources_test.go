package apigw_test

import (
	"context"
	"testing"

	"github.com/patservice/pat/internal/pat"
)

// A token's allowed sources are checked against the address API Gateway
// saw, in both event shapes: requestContext.identity.sourceIp (REST) and
// requestContext.http.sourceIp (HTTP API). X-Forwarded-For, which any
// client can set, is never read. A refusal is a 403 that says why.
func TestSourceLimitInEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}, AllowedSources: []string{"203.0.113.0/24", "2001:db8:1::/48"}})
	bearer := "Bearer " + c.Secret
	cases := []struct {
		name      string
		source    string
		forwarded string // X-Forwarded-For as the client sent it
		allow     bool
	}{
		{"IPv4 inside", "203.0.113.10", "", true},
		{"IPv4 outside", "198.51.100.10", "", false},
		{"IPv6 inside", "2001:db8:1::abcd", "", true},
		{"IPv6 outside", "2001:db8:ffff::1", "", false},
		{"IPv4-mapped IPv6 inside", "::ffff:203.0.113.10", "", true},
		{"spoofed X-Forwarded-For from outside", "198.51.100.10", "203.0.113.10", false},
		{"X-Forwarded-For naming an outside address from inside", "203.0.113.10", "198.51.100.10, 203.0.113.10", true},
	}
	for _, tc := range cases {
		t.Run("REST/"+tc.name, func(t *testing.T) {
			ev := e.restEvent(t, request{header: bearer, method: "GET", path: "/api/crm/contacts"})
			ev.RequestContext.Identity.SourceIP = tc.source
			if tc.forwarded != "" {
				ev.Headers["X-Forwarded-For"] = tc.forwarded
				ev.MultiValueHeaders["X-Forwarded-For"] = []string{tc.forwarded}
			}
			before := e.count.Reads.Load()
			resp, err := e.handler.REST(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			checkReads(t, e, before, want{dbReads: 1})
			effect := resp.PolicyDocument.Statement[0].Effect
			if tc.allow {
				if effect != "Allow" || resp.Context["tokenId"] != c.Token.ID {
					t.Fatalf("want Allow, got %+v", resp)
				}
				return
			}
			if effect != "Deny" || resp.Context["error"] != "insufficient_scope" || resp.Context["requiredScope"] != nil ||
				resp.Context["errorDescription"] != "the token may not be used from this address" ||
				resp.Context["wwwAuthenticate"] != `Bearer realm="pat", error="insufficient_scope"` {
				t.Fatalf("want a 403 that says why, got %+v", resp)
			}
		})
		t.Run("HTTP/"+tc.name, func(t *testing.T) {
			ev := e.httpEvent(t, request{header: bearer, method: "GET", path: "/api/crm/contacts"})
			ev.RequestContext.HTTP.SourceIP = tc.source
			if tc.forwarded != "" {
				ev.Headers["x-forwarded-for"] = tc.forwarded
			}
			before := e.count.Reads.Load()
			resp, err := e.handler.HTTP(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			checkReads(t, e, before, want{dbReads: 1})
			if resp.IsAuthorized != tc.allow {
				t.Fatalf("authorized %v, want %v: %+v", resp.IsAuthorized, tc.allow, resp.Context)
			}
			if !tc.allow && resp.Context["errorDescription"] != "the token may not be used from this address" {
				t.Fatalf("context %+v", resp.Context)
			}
		})
	}
}
