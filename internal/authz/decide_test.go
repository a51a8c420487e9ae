package authz_test

import (
	"context"
	"crypto/rand"
	"hash/crc32"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/testenv"
	"github.com/patservice/pat/internal/token"
)

// Checked after the whole suite: no table item and no log line holds any
// part of a token.
var ledger localstack.Ledger

func TestMain(m *testing.M) { os.Exit(ledger.Main(m)) }

type want struct {
	outcome authz.Outcome
	reason  string
	code    string // RFC 6750 error: "", invalid_token, insufficient_scope, invalid_request
	scope   string // the scope the route needs, named on 403
	reads   int64  // database round trips
}

func unauthorized(reason string) want {
	return want{outcome: authz.Unauthorized, reason: reason, code: "invalid_token", reads: 1}
}

func forbidden(reason, scope string) want {
	return want{outcome: authz.Forbidden, reason: reason, code: "insufficient_scope", scope: scope, reads: 1}
}

var (
	allowed     = want{outcome: authz.Allowed, reason: authz.ReasonAllowed, reads: 1}
	missing     = want{outcome: authz.Unauthorized, reason: authz.ReasonMissing}
	malformed   = want{outcome: authz.Unauthorized, reason: authz.ReasonMalformed, code: "invalid_token"}
	pathRefused = want{outcome: authz.Forbidden, reason: authz.ReasonPath, code: "insufficient_scope"}
	// RFC 6750 §3.1 invalid_request: credentials sent twice or in the query.
	ambiguous = want{outcome: authz.BadRequest, reason: authz.ReasonAmbiguous, code: "invalid_request"}
)

// The whole decision table against DynamoDB Local, with tokens made by the
// real service and the authorizer wired as its function wires it: every
// outcome, its reason, RFC 6750 error code and required scope, and one read
// for every decision that reaches the database (none before).
func TestDecisionTable(t *testing.T) {
	e := testenv.New(t, &ledger)
	e.Clock.Set(time.Now().UTC().Truncate(time.Second)) // real time: DynamoDB Local applies TTL
	ctx := context.Background()
	root := pat.Identity{UserID: "user-root", Email: "root@example.com", Admin: true}
	alice := pat.Identity{UserID: "user-alice", Email: "alice@example.com", Permissions: []string{"crm:read", "crm:update", "orders:read"}}
	good := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read", "orders:read"}})
	revoked := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	if err := e.Service.RevokeToken(ctx, alice, revoked.Token.ID); err != nil {
		t.Fatal(err)
	}
	locked := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	e.SetAttr(t, testenv.TokenKey(locked.Token.ID), "status", string(pat.StatusLocked))
	soon := e.Clock.Now().Add(time.Hour)
	expired := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}, ExpiresAt: &soon})
	bob := pat.Identity{UserID: "user-bob", Email: "bob@example.com", Permissions: []string{"crm:read"}}
	disabled := e.Create(t, bob, pat.CreateInput{Scopes: []string{"crm:read"}})
	off := pat.UserDisabled
	if _, err := e.Service.AdminUpdateUser(ctx, root, bob.UserID, pat.UserUpdate{Status: &off}); err != nil {
		t.Fatal(err)
	}
	carol := pat.Identity{UserID: "user-carol", Email: "carol@example.com", Permissions: []string{"crm:read", "orders:read"}}
	narrowed := e.Create(t, carol, pat.CreateInput{Scopes: []string{"crm:read", "orders:read"}})
	carol.Permissions = []string{"orders:read"} // the identity provider narrows carol: her next sign-in says so
	e.Create(t, carol, pat.CreateInput{Scopes: []string{"orders:read"}})
	e.Clock.Advance(2 * time.Hour)

	count := &testenv.Counting{AuthAPI: e.DB}
	a := e.Authorizer(t, e.AuthorizerConfig(), count)
	bearer := func(c pat.Created) string { return "Bearer " + c.Secret }
	unknown, _, _ := e.Service.Format().Generate(token.OwnerTag(alice.UserID))
	ledger.AddToken(unknown)
	cases := []struct {
		name string
		req  authz.Request
		tok  pat.Created // on Allow, the token the decision names
		want want
	}{
		{"allowed", authz.Request{Authorization: bearer(good), Method: "GET", Path: "/api/crm/contacts"}, good, allowed},
		{"scheme in lower case", authz.Request{Authorization: "bearer " + good.Secret, Method: "GET", Path: "/api/crm"}, good, allowed},
		{"HEAD is read", authz.Request{Authorization: bearer(good), Method: "HEAD", Path: "/api/orders/1"}, good, allowed},
		{"no header", authz.Request{Method: "GET", Path: "/api/crm/contacts"}, pat.Created{}, missing},
		{"other scheme", authz.Request{Authorization: "Basic dXNlcjpwYXNz", Method: "GET", Path: "/api/crm"}, pat.Created{}, missing},
		{"token only in the query string", authz.Request{QueryToken: true, Method: "GET", Path: "/api/crm"}, pat.Created{}, ambiguous},
		{"token in the query string too", authz.Request{Authorization: bearer(good), QueryToken: true, Method: "GET", Path: "/api/crm"}, pat.Created{}, ambiguous},
		{"Bearer without token", authz.Request{Authorization: "Bearer", Method: "GET", Path: "/api/crm"}, pat.Created{}, malformed},
		{"two tokens", authz.Request{Authorization: bearer(good) + " " + good.Secret, Method: "GET", Path: "/api/crm"}, pat.Created{}, malformed},
		{"two headers", authz.Request{Authorization: bearer(good) + "," + bearer(good), Method: "GET", Path: "/api/crm"}, pat.Created{}, ambiguous},
		{"not a token", authz.Request{Authorization: "Bearer hello", Method: "GET", Path: "/api/crm"}, pat.Created{}, malformed},
		{"bad checksum", authz.Request{Authorization: "Bearer " + testenv.Tamper(good.Secret), Method: "GET", Path: "/api/crm"}, pat.Created{}, malformed},
		{"truncated", authz.Request{Authorization: bearer(good)[:40], Method: "GET", Path: "/api/crm"}, pat.Created{}, malformed},
		{"unknown token", authz.Request{Authorization: "Bearer " + unknown, Method: "GET", Path: "/api/crm"}, pat.Created{}, unauthorized(authz.ReasonUnknown)},
		{"wrong secret", authz.Request{Authorization: "Bearer " + forge(good.Token.ID), Method: "GET", Path: "/api/crm"}, pat.Created{}, unauthorized(authz.ReasonUnknown)},
		{"revoked", authz.Request{Authorization: bearer(revoked), Method: "GET", Path: "/api/crm"}, pat.Created{}, unauthorized(authz.ReasonRevoked)},
		{"locked", authz.Request{Authorization: bearer(locked), Method: "GET", Path: "/api/crm"}, pat.Created{}, unauthorized(authz.ReasonLocked)},
		{"expired", authz.Request{Authorization: bearer(expired), Method: "GET", Path: "/api/crm"}, pat.Created{}, unauthorized(authz.ReasonExpired)},
		{"owner disabled", authz.Request{Authorization: bearer(disabled), Method: "GET", Path: "/api/crm"}, pat.Created{}, unauthorized(authz.ReasonOwnerDisabled)},
		{"scope missing", authz.Request{Authorization: bearer(good), Method: "DELETE", Path: "/api/crm/contacts/7"}, pat.Created{}, forbidden(authz.ReasonScope, "crm:delete")},
		{"other resource", authz.Request{Authorization: bearer(good), Method: "GET", Path: "/api/accounting/invoices"}, pat.Created{}, forbidden(authz.ReasonScope, "accounting:read")},
		{"owner lost the permission", authz.Request{Authorization: bearer(narrowed), Method: "GET", Path: "/api/crm"}, pat.Created{}, forbidden(authz.ReasonScope, "crm:read")},
		{"owner kept the other", authz.Request{Authorization: bearer(narrowed), Method: "GET", Path: "/api/orders"}, narrowed, allowed},
		{"route not in catalog", authz.Request{Authorization: bearer(good), Method: "GET", Path: "/api/hr/people"}, pat.Created{}, forbidden(authz.ReasonNoRoute, "")},
		// A path a backend could read as another resource's is refused before the read.
		{"path escaping its resource", authz.Request{Authorization: bearer(good), Method: "GET", Path: "/api/crm/../accounting/x"}, pat.Created{}, pathRefused},
		{"path parameter", authz.Request{Authorization: bearer(good), Method: "GET", Path: "/api/crm/..;/accounting/invoices"}, pat.Created{}, pathRefused},
		{"full path not canonical", authz.Request{Authorization: bearer(good), Method: "GET", Path: "/api/crm/x", FullPath: "/demo/api/crm/..;/x"}, pat.Created{}, pathRefused},
		{"full path of another route", authz.Request{Authorization: bearer(good), Method: "GET", Path: "/api/crm/x", FullPath: "/demo/api/accounting/x"}, pat.Created{}, pathRefused},
		{"full path with a stage", authz.Request{Authorization: bearer(good), Method: "GET", Path: "/api/crm/x", FullPath: "/demo/api/crm/x"}, good, allowed},
		{"refused path, bad token: 401 first", authz.Request{Authorization: "Bearer hello", Method: "GET", Path: "/api/crm/..;/x"}, pat.Created{}, malformed},
		{"method without action", authz.Request{Authorization: bearer(good), Method: "OPTIONS", Path: "/api/crm"}, pat.Created{}, forbidden(authz.ReasonNoRoute, "")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := count.Reads.Load()
			d, err := a.Authorize(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := count.Reads.Load() - before; got != tc.want.reads {
				t.Errorf("%d database round trips, want %d", got, tc.want.reads)
			}
			if d.Outcome != tc.want.outcome || d.Reason != tc.want.reason || d.ErrorCode() != tc.want.code || d.RequiredScope != tc.want.scope && tc.want.outcome == authz.Forbidden {
				t.Fatalf("decision %v %q, error %q, scope %q; want %+v", d.Outcome, d.Reason, d.ErrorCode(), d.RequiredScope, tc.want)
			}
			switch tc.want.outcome {
			case authz.Allowed:
				if d.UserID != tc.tok.Token.UserID || d.TokenID != tc.tok.Token.ID || len(d.Scopes) == 0 {
					t.Fatalf("allowed as %q with token %q and scopes %v, want %s's token %s", d.UserID, d.TokenID, d.Scopes, tc.tok.Token.UserID, tc.tok.Token.ID)
				}
			case authz.Forbidden:
				// The gateways send it as WWW-Authenticate.
				challenge := `Bearer realm="pat", error="insufficient_scope"`
				if tc.want.scope != "" {
					challenge += `, scope="` + tc.want.scope + `"`
				}
				if got := d.Challenge(a.Realm); got != challenge {
					t.Fatalf("challenge %s, want %s", got, challenge)
				}
			}
		})
	}

	t.Run("effective scopes", func(t *testing.T) {
		d, err := a.Authorize(ctx, authz.Request{Authorization: bearer(narrowed), Method: "GET", Path: "/api/orders"})
		if err != nil || d.UserID != "user-carol" || d.TokenID != narrowed.Token.ID || !slices.Equal(d.Scopes, []string{"orders:read"}) {
			t.Fatalf("%+v %v (effective scopes must be the token's ∩ the owner's)", d, err)
		}
	})
}

// forge returns a well-formed token (valid checksum) with a real id and a
// secret that is not the token's.
func forge(id string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	secret := []byte(strings.Repeat("x", token.SecretLen))
	rand.Read(secret)
	for i := range secret {
		secret[i] = alphabet[int(secret[i])%62]
	}
	body := "pat_" + id + "_" + string(secret)
	v := uint64(crc32.ChecksumIEEE([]byte(body)))
	sum := make([]byte, token.ChecksumLen)
	for i := len(sum) - 1; i >= 0; i-- {
		sum[i] = alphabet[v%62]
		v /= 62
	}
	return body + string(sum)
}
