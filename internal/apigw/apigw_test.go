package apigw_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/patservice/pat/internal/apigw"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/token"
)

type want struct {
	outcome string // allow, unauthorized, bad_request, forbidden
	code    string // RFC 6750 error: "", invalid_token, insufficient_scope, invalid_request
	scope   string // required scope named on 403
	dbReads int64
}

// What each kind of decision becomes in a REST API policy (or the error
// Unauthorized) and in an HTTP API simple response, with its context. The
// decisions themselves, every reason of them, are internal/authz's
// TestDecisionTable.
func TestOutcomesInEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read", "orders:read"}})
	bearer := "Bearer " + good.Secret
	unknown, _, _ := e.Service.Format().Generate(token.OwnerTag(alice.UserID))
	ledger.AddToken(unknown)
	cases := []struct {
		name string
		req  request
		want want
	}{
		{"allowed", request{header: bearer, method: "GET", path: "/api/crm/contacts"}, want{outcome: "allow", dbReads: 1}},
		{"no token", request{method: "GET", path: "/api/crm/contacts"}, want{outcome: "unauthorized"}},
		{"malformed token", request{header: "Bearer hello", method: "GET", path: "/api/crm"}, want{outcome: "unauthorized", code: "invalid_token"}},
		{"unknown token", request{header: "Bearer " + unknown, method: "GET", path: "/api/crm"}, want{outcome: "unauthorized", code: "invalid_token", dbReads: 1}},
		// RFC 6750 §3.1 invalid_request: a REST API can only answer it with 401
		// (the error Unauthorized); an HTTP API denies with the code in the context.
		{"token in the query string", request{queryToken: good.Secret, method: "GET", path: "/api/crm"}, want{outcome: "bad_request", code: "invalid_request"}},
		{"two headers", request{header: bearer, twoHeaders: true, method: "GET", path: "/api/crm"}, want{outcome: "bad_request", code: "invalid_request"}},
		{"scope missing", request{header: bearer, method: "DELETE", path: "/api/crm/contacts/7"}, want{outcome: "forbidden", code: "insufficient_scope", scope: "crm:delete", dbReads: 1}},
		{"route not in catalog", request{header: bearer, method: "GET", path: "/api/hr/people"}, want{outcome: "forbidden", code: "insufficient_scope", dbReads: 1}},
	}
	for _, tc := range cases {
		t.Run("REST/"+tc.name, func(t *testing.T) {
			before := e.count.Reads.Load()
			ev := e.restEvent(t, tc.req)
			resp, err := e.handler.REST(ctx, ev)
			checkReads(t, e, before, tc.want)
			switch tc.want.outcome {
			case "unauthorized", "bad_request":
				if !errors.Is(err, apigw.ErrUnauthorized) || err.Error() != "Unauthorized" {
					t.Fatalf("want the error Unauthorized (401), got %v %+v", err, resp)
				}
				return
			case "allow", "forbidden":
				if err != nil {
					t.Fatal(err)
				}
			}
			st := resp.PolicyDocument.Statement
			if len(st) != 1 || len(st[0].Resource) != 1 || st[0].Resource[0] != ev.MethodArn {
				t.Fatalf("policy is not for exactly %s: %+v", ev.MethodArn, resp.PolicyDocument)
			}
			if tc.want.outcome == "allow" {
				if st[0].Effect != "Allow" || resp.PrincipalID != "user-alice" ||
					resp.Context["tokenId"] != good.Token.ID || resp.Context["scopes"] != "crm:read orders:read" {
					t.Fatalf("allow = %+v", resp)
				}
				return
			}
			if st[0].Effect != "Deny" || resp.Context["error"] != tc.want.code || tc.want.scope != "" && resp.Context["requiredScope"] != tc.want.scope {
				t.Fatalf("forbidden = %+v", resp)
			}
			// The Gateway Response ACCESS_DENIED maps this to WWW-Authenticate.
			challenge := `Bearer realm="pat", error="insufficient_scope"`
			if tc.want.scope != "" {
				challenge += `, scope="` + tc.want.scope + `"`
			}
			if resp.Context["wwwAuthenticate"] != challenge {
				t.Fatalf("WWW-Authenticate from the context: %v, want %s", resp.Context["wwwAuthenticate"], challenge)
			}
		})
		t.Run("HTTP/"+tc.name, func(t *testing.T) {
			before := e.count.Reads.Load()
			resp, err := e.handler.HTTP(ctx, e.httpEvent(t, tc.req))
			checkReads(t, e, before, tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if resp.IsAuthorized != (tc.want.outcome == "allow") || tc.want.outcome != "allow" && resp.Context["error"] != tc.want.code {
				t.Fatalf("response %+v, want %+v", resp, tc.want)
			}
		})
	}

	t.Run("HTTP/named stage", func(t *testing.T) {
		resp, err := e.handler.HTTP(ctx, e.httpEvent(t, request{header: bearer, method: "GET", path: "/api/crm/contacts", stage: "v1"}))
		if err != nil || !resp.IsAuthorized {
			t.Fatalf("%+v %v", resp, err)
		}
	})
	t.Run("allowed context", func(t *testing.T) {
		resp, err := e.handler.HTTP(ctx, e.httpEvent(t, request{header: bearer, method: "GET", path: "/api/orders"}))
		if err != nil || resp.Context["userId"] != "user-alice" || resp.Context["tokenId"] != good.Token.ID || resp.Context["scopes"] != "crm:read orders:read" {
			t.Fatalf("context = %+v", resp.Context)
		}
	})
}

func checkReads(t *testing.T, e *env, before int64, w want) {
	t.Helper()
	if got := e.count.Reads.Load() - before; got != w.dbReads {
		t.Errorf("%d database round trips, want %d", got, w.dbReads)
	}
}

// The last use is written at most once per interval, with source IP and
// user agent, and concurrent requests write it once.
func TestLastUseRecordedOncePerInterval(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	call := func() {
		t.Helper()
		if _, err := e.handler.REST(ctx, e.restEvent(t, request{header: "Bearer " + c.Secret, method: "GET", path: "/api/crm"})); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(call)
	}
	wg.Wait()
	for range 5 {
		call()
	}
	if got := e.count.WritesDone.Load(); got != 2 { // the token and its entry in the last-use order
		t.Fatalf("%d last-use writes in one interval, want one refresh (2 writes)", got)
	}
	got, err := e.Service.GetToken(ctx, alice, c.Token.ID)
	if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(e.Clock.Now()) || got.LastUsedIP != "203.0.113.10" || got.LastUsedUA != "curl/8.5.0" {
		t.Fatalf("last use = %v %q %q (%v)", got.LastUsedAt, got.LastUsedIP, got.LastUsedUA, err)
	}
	e.Clock.Advance(11 * time.Minute)
	call()
	call()
	if got := e.count.WritesDone.Load(); got != 4 {
		t.Fatalf("%d last-use writes after the interval, want two refreshes (4 writes)", got)
	}
	// A denied request is not a use.
	before := e.count.Writes.Load()
	e.Clock.Advance(11 * time.Minute)
	if _, err := e.handler.REST(ctx, e.restEvent(t, request{header: "Bearer " + c.Secret, method: "DELETE", path: "/api/crm/1"})); err != nil {
		t.Fatal(err)
	}
	if e.count.Writes.Load() != before {
		t.Fatal("a denied request recorded a use")
	}
}
