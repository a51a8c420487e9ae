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
	outcome string // allow, unauthorized, forbidden
	code    string // RFC 6750 error: "", invalid_token, insufficient_scope
	scope   string // required scope named on 403
	dbReads int64  // -1: do not check
}

var (
	allow        = want{outcome: "allow", dbReads: 1}
	missing      = want{outcome: "unauthorized", dbReads: 0}
	malformed    = want{outcome: "unauthorized", code: "invalid_token", dbReads: 0}
	invalidToken = want{outcome: "unauthorized", code: "invalid_token", dbReads: 1}
	// RFC 6750 §3.1 invalid_request: a REST API can only answer it with 401
	// (the error Unauthorized); an HTTP API denies with the code in the context.
	badRequest = want{outcome: "bad_request", code: "invalid_request", dbReads: 0}
)

func forbidden(scope string) want {
	return want{outcome: "forbidden", code: "insufficient_scope", scope: scope, dbReads: 1}
}

// The whole decision table, for REST API and HTTP API events, against
// DynamoDB Local.
func TestDecisionTable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good := e.create(t, alice, pat.CreateInput{Scopes: []string{"crm:read", "orders:read"}})
	revoked := e.create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	if err := e.svc.Revoke(ctx, alice, revoked.Token.ID); err != nil {
		t.Fatal(err)
	}
	locked := e.create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	e.set(t, tokenKey(locked.Token.ID), "status", string(pat.StatusLocked))
	soon := e.clock().Add(time.Hour)
	expired := e.create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}, ExpiresAt: &soon})
	bob := pat.Identity{UserID: "user-bob", Email: "bob@example.com", Permissions: []string{"crm:read"}}
	disabled := e.create(t, bob, pat.CreateInput{Scopes: []string{"crm:read"}})
	off := pat.UserDisabled
	if _, err := e.svc.UpdateUser(ctx, root, bob.UserID, pat.UserUpdate{Status: &off}); err != nil {
		t.Fatal(err)
	}
	carol := pat.Identity{UserID: "user-carol", Email: "carol@example.com", Permissions: []string{"crm:read", "orders:read"}}
	narrowed := e.create(t, carol, pat.CreateInput{Scopes: []string{"crm:read", "orders:read"}})
	carol.Permissions = []string{"orders:read"} // the identity provider narrows carol: her next sign-in says so
	e.create(t, carol, pat.CreateInput{Scopes: []string{"orders:read"}})
	e.advance(2 * time.Hour)

	bearer := func(c pat.Created) string { return "Bearer " + c.Secret }
	unknown, _, _ := e.svc.Format().Generate(token.OwnerTag(alice.UserID))
	ledger.AddToken(unknown)
	cases := []struct {
		name string
		req  request
		want want
	}{
		{"allowed", request{header: bearer(good), method: "GET", path: "/api/crm/contacts"}, allow},
		{"scheme in lower case", request{header: "bearer " + good.Secret, method: "GET", path: "/api/crm"}, allow},
		{"HEAD is read", request{header: bearer(good), method: "HEAD", path: "/api/orders/1"}, allow},
		{"no header", request{method: "GET", path: "/api/crm/contacts"}, missing},
		{"other scheme", request{header: "Basic dXNlcjpwYXNz", method: "GET", path: "/api/crm"}, missing},
		{"token only in the query string", request{queryToken: good.Secret, method: "GET", path: "/api/crm"}, badRequest},
		{"token in the query string too", request{header: bearer(good), queryToken: good.Secret, method: "GET", path: "/api/crm"}, badRequest},
		{"Bearer without token", request{header: "Bearer", method: "GET", path: "/api/crm"}, malformed},
		{"two tokens", request{header: bearer(good) + " " + good.Secret, method: "GET", path: "/api/crm"}, malformed},
		{"two headers", request{header: bearer(good), twoHeaders: true, method: "GET", path: "/api/crm"}, badRequest},
		{"not a token", request{header: "Bearer hello", method: "GET", path: "/api/crm"}, malformed},
		{"bad checksum", request{header: "Bearer " + tamper(good.Secret), method: "GET", path: "/api/crm"}, malformed},
		{"truncated", request{header: bearer(good)[:40], method: "GET", path: "/api/crm"}, malformed},
		{"unknown token", request{header: "Bearer " + unknown, method: "GET", path: "/api/crm"}, invalidToken},
		{"wrong secret", request{header: "Bearer " + forge(good.Token.ID), method: "GET", path: "/api/crm"}, invalidToken},
		{"revoked", request{header: bearer(revoked), method: "GET", path: "/api/crm"}, invalidToken},
		{"locked", request{header: bearer(locked), method: "GET", path: "/api/crm"}, invalidToken},
		{"expired", request{header: bearer(expired), method: "GET", path: "/api/crm"}, invalidToken},
		{"owner disabled", request{header: bearer(disabled), method: "GET", path: "/api/crm"}, invalidToken},
		{"scope missing", request{header: bearer(good), method: "DELETE", path: "/api/crm/contacts/7"}, forbidden("crm:delete")},
		{"other resource", request{header: bearer(good), method: "GET", path: "/api/accounting/invoices"}, forbidden("accounting:read")},
		{"owner lost the permission", request{header: bearer(narrowed), method: "GET", path: "/api/crm"}, forbidden("crm:read")},
		{"owner kept the other", request{header: bearer(narrowed), method: "GET", path: "/api/orders"}, allow},
		{"route not in catalog", request{header: bearer(good), method: "GET", path: "/api/hr/people"}, forbidden("")},
		{"path escaping its resource", request{header: bearer(good), method: "GET", path: "/api/crm/../accounting/x"}, forbidden("")},
		{"method without action", request{header: bearer(good), method: "OPTIONS", path: "/api/crm"}, forbidden("")},
	}
	for _, tc := range cases {
		t.Run("REST/"+tc.name, func(t *testing.T) {
			before := e.count.reads.Load()
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
				if st[0].Effect != "Allow" || resp.PrincipalID != "user-alice" && resp.PrincipalID != "user-carol" ||
					resp.Context["tokenId"] == "" || resp.Context["scopes"] == "" {
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
			before := e.count.reads.Load()
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
		resp, err := e.handler.HTTP(ctx, e.httpEvent(t, request{header: bearer(good), method: "GET", path: "/api/crm/contacts", stage: "v1"}))
		if err != nil || !resp.IsAuthorized {
			t.Fatalf("%+v %v", resp, err)
		}
	})
	t.Run("allowed context", func(t *testing.T) {
		resp, err := e.handler.HTTP(ctx, e.httpEvent(t, request{header: bearer(narrowed), method: "GET", path: "/api/orders"}))
		if err != nil || resp.Context["userId"] != "user-carol" || resp.Context["tokenId"] != narrowed.Token.ID || resp.Context["scopes"] != "orders:read" {
			t.Fatalf("context = %+v (effective scopes must be the token's ∩ the owner's)", resp.Context)
		}
	})
}

func checkReads(t *testing.T, e *env, before int64, w want) {
	t.Helper()
	if got := e.count.reads.Load() - before; w.dbReads >= 0 && got != w.dbReads {
		t.Errorf("%d database round trips, want %d", got, w.dbReads)
	}
}

// Revocation is immediate: once the revoke call has returned, no request
// that starts afterwards is allowed, however many are in flight.
func TestRevocationIsImmediate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	var revokedAt time.Time
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	allowedBefore, violations := 0, 0
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				resp, err := e.handler.REST(ctx, e.restEvent(t, request{header: "Bearer " + c.Secret, method: "GET", path: "/api/crm"}))
				allowed := err == nil && resp.PolicyDocument.Statement[0].Effect == "Allow"
				mu.Lock()
				switch {
				case allowed && !revokedAt.IsZero() && start.After(revokedAt):
					violations++
				case allowed:
					allowedBefore++
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(150 * time.Millisecond)
	if err := e.svc.Revoke(ctx, alice, c.Token.ID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	revokedAt = time.Now()
	mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if allowedBefore == 0 || violations > 0 {
		t.Fatalf("%d requests allowed before the revocation, %d after it returned", allowedBefore, violations)
	}
}

// The last use is written at most once per interval, with source IP and
// user agent, and concurrent requests write it once.
func TestLastUseRecordedOncePerInterval(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
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
	if got := e.count.writesDone.Load(); got != 1 {
		t.Fatalf("%d last-use writes in one interval, want 1", got)
	}
	got, err := e.svc.Get(ctx, alice, c.Token.ID)
	if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(e.clock()) || got.LastUsedIP != "203.0.113.10" || got.LastUsedUA != "curl/8.5.0" {
		t.Fatalf("last use = %v %q %q (%v)", got.LastUsedAt, got.LastUsedIP, got.LastUsedUA, err)
	}
	e.advance(11 * time.Minute)
	call()
	call()
	if got := e.count.writesDone.Load(); got != 2 {
		t.Fatalf("%d last-use writes after the interval, want 2", got)
	}
	// A denied request is not a use.
	before := e.count.writes.Load()
	e.advance(11 * time.Minute)
	if _, err := e.handler.REST(ctx, e.restEvent(t, request{header: "Bearer " + c.Secret, method: "DELETE", path: "/api/crm/1"})); err != nil {
		t.Fatal(err)
	}
	if e.count.writes.Load() != before {
		t.Fatal("a denied request recorded a use")
	}
}
