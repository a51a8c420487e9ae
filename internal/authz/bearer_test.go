package authz

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/pat"
	"github.com/patservice/pat/internal/scope"
	"github.com/patservice/pat/internal/token"
)

func TestBearerToken(t *testing.T) {
	cases := []struct {
		header         string
		token          string
		present, valid bool
	}{
		{"", "", false, false},
		{"   ", "", false, false},
		{"Basic dXNlcjpwYXNz", "", false, false},
		{"Bearer", "", true, false},
		{"Bearer ", "", true, false},
		{"Bearer abc", "abc", true, true},
		{"bearer abc", "abc", true, true},
		{"BEARER   abc  ", "abc", true, true},
		{"Bearer abc def", "", true, false},
		{"Bearer abc,Bearer def", "", true, false},
		{"Bearer a=b", "", true, false},
		{"Bearer abc==", "abc==", true, true},
		{"Bearer ===", "", true, false},
		{"Bearer\tabc", "", false, false},
		{"Bearerabc", "", false, false},
	}
	for _, tc := range cases {
		tok, present, ok := bearerToken(tc.header)
		if tok != tc.token || present != tc.present || ok != tc.valid {
			t.Errorf("bearerToken(%q) = %q, %v, %v; want %q, %v, %v", tc.header, tok, present, ok, tc.token, tc.present, tc.valid)
		}
	}
}

// refusingReader fails the test if the database is asked at all.
type refusingReader struct{ t testing.TB }

func (r refusingReader) TokenAndOwner(context.Context, token.Parsed) (pat.TokenOwner, error) {
	r.t.Fatal("a database read for a token that does not parse")
	return pat.TokenOwner{}, nil
}

func (r refusingReader) RecordUse(context.Context, string, pat.Use, time.Time) error {
	r.t.Fatal("a write for a token that does not parse")
	return nil
}

func (refusingReader) ReportReuse(context.Context, pat.ReuseReport) (bool, error) { return false, nil }

// missingReader knows no token.
type missingReader struct{}

func (missingReader) TokenAndOwner(context.Context, token.Parsed) (pat.TokenOwner, error) {
	return pat.TokenOwner{}, nil
}

func (missingReader) RecordUse(context.Context, string, pat.Use, time.Time) error {
	return errors.New("unexpected")
}

func (missingReader) ReportReuse(context.Context, pat.ReuseReport) (bool, error) { return false, nil }

func newTestAuthorizer(tb testing.TB, r Reader) *Authorizer {
	tb.Helper()
	f, err := token.NewFormat(token.DefaultPrefix)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := scope.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return New(r, f, c, slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

// Header and token parsing never panic, and only a well-formed token
// reaches the database.
func FuzzAuthorizationHeader(f *testing.F) {
	format, _ := token.NewFormat(token.DefaultPrefix)
	good, _, _ := format.Generate(token.OwnerTag("fuzz"))
	for _, seed := range []string{"", "Bearer", "Bearer " + good, "bearer  " + good + " ", "Basic x", "Bearer " + good + "," + good, "Bearer " + good[:40]} {
		f.Add(seed, "GET", "/api/crm/x")
	}
	f.Fuzz(func(t *testing.T, header, method, path string) {
		parses := false
		if tok, _, ok := bearerToken(header); ok {
			_, err := format.Parse(tok)
			parses = err == nil
			if strings.ContainsAny(tok, " ,\t") {
				t.Fatalf("bearerToken accepted %q", tok)
			}
		}
		var r Reader = refusingReader{t}
		if parses {
			r = missingReader{}
		}
		a := newTestAuthorizer(t, r)
		d, err := a.Authorize(context.Background(), Request{Authorization: header, Method: method, Path: path})
		if err != nil || d.Outcome == Allowed {
			t.Fatalf("header %q: decision %+v, err %v", header, d, err)
		}
	})
}

// RFC 6750 §3: no error code without bearer credentials; invalid_request
// for credentials sent twice or in the query; the scope a 403 lacked.
func TestChallenge(t *testing.T) {
	cases := []struct {
		req  Request
		want string
	}{
		{Request{}, `Bearer realm="pat"`},
		{Request{Authorization: "Basic dXNlcjpwYXNz"}, `Bearer realm="pat"`},
		{Request{Authorization: "Token abc"}, `Bearer realm="pat"`},
		{Request{Authorization: "Bearer"}, `Bearer realm="pat", error="invalid_token"`},
		{Request{Authorization: "Bearer a,Bearer b"}, `Bearer realm="pat", error="invalid_request"`},
		{Request{Authorization: "Bearer abc", QueryToken: true}, `Bearer realm="pat", error="invalid_request"`},
		{Request{QueryToken: true}, `Bearer realm="pat", error="invalid_request"`},
	}
	for _, tc := range cases {
		d, _, decided := Precheck(tc.req)
		if !decided || d.Challenge("pat") != tc.want {
			t.Errorf("%+v: %v %q, want %q", tc.req, decided, d.Challenge("pat"), tc.want)
		}
	}
	if _, raw, decided := Precheck(Request{Authorization: "Bearer abc"}); decided || raw != "abc" {
		t.Errorf("a bearer token is left to the lookup: %v %q", decided, raw)
	}
	d := Decision{Outcome: Forbidden, Reason: ReasonScope, RequiredScope: "crm:delete"}
	if got := d.Challenge("api"); got != `Bearer realm="api", error="insufficient_scope", scope="crm:delete"` {
		t.Errorf("403 challenge %q", got)
	}
}
