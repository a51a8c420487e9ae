package apigw_test

import (
	"context"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/authz"
	"github.com/patservice/pat/internal/pat"
)

// A crm:read token reaches nothing but crm, however the path is spelled:
// the README's attack (`curl --path-as-is .../api/crm/..;/accounting/invoices`)
// and its encoded, NUL, backslash and overlong variants are denied (403,
// insufficient_scope, before any read) in a REST API event (path and
// requestContext.path still percent-encoded) and in an HTTP API event
// (rawPath and requestContext.http.path decoded once), and in either field.
func TestPathsABackendCouldReadDifferentlyAreRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.Create(t, alice, pat.CreateInput{Scopes: []string{"crm:read"}})
	bearer := "Bearer " + c.Secret
	// As a REST API passes them (encoded) and as an HTTP API passes the same
	// request (decoded once: %3b → ";", %2e → ".", %25 → "%").
	paths := []struct{ rest, http string }{
		{"/api/crm/..;/accounting/invoices", "/api/crm/..;/accounting/invoices"},
		{"/api/crm/..%3b/accounting/invoices", "/api/crm/..;/accounting/invoices"},
		{"/api/crm/%2e%2e;/accounting/invoices", "/api/crm/..;/accounting/invoices"},
		{"/api/crm/%2e%2e/accounting/invoices", "/api/crm/../accounting/invoices"},
		{"/api/crm%2f..%2faccounting/invoices", "/api/crm/../accounting/invoices"},
		{"/api/crm/..%5caccounting/invoices", "/api/crm/..\\accounting/invoices"},
		{"/api/crm/%252e%252e/accounting/invoices", "/api/crm/%2e%2e/accounting/invoices"},
		{"/api/crm/x%00/../../accounting/invoices", "/api/crm/x\x00/../../accounting/invoices"},
		{"/api/crm/%c0%ae%c0%ae/accounting/invoices", "/api/crm/\xc0\xae\xc0\xae/accounting/invoices"},
		{"/api/crm/%ef%bc%8e%ef%bc%8e/accounting/invoices", "/api/crm/．．/accounting/invoices"},
		{"/api/crm//../accounting/invoices", "/api/crm//../accounting/invoices"},
	}
	refusedREST := func(t *testing.T, path, full string) {
		t.Helper()
		ev := e.restEvent(t, request{header: bearer, method: "GET", path: path})
		ev.RequestContext.Path = full
		before := e.count.Reads.Load()
		resp, err := e.handler.REST(ctx, ev)
		if err != nil || resp.PolicyDocument.Statement[0].Effect != "Deny" || resp.Context["error"] != "insufficient_scope" {
			t.Fatalf("REST %q (requestContext.path %q) = %+v %v, want Deny insufficient_scope", path, full, resp, err)
		}
		if reads := e.count.Reads.Load() - before; reads != 0 {
			t.Errorf("REST %q: %d reads, want none", path, reads)
		}
	}
	refusedHTTP := func(t *testing.T, rawPath, httpPath string) {
		t.Helper()
		ev := e.httpEvent(t, request{header: bearer, method: "GET", path: rawPath})
		ev.RequestContext.HTTP.Path = httpPath
		resp, err := e.handler.HTTP(ctx, ev)
		if err != nil || resp.IsAuthorized || resp.Context["error"] != "insufficient_scope" {
			t.Fatalf("HTTP %q (requestContext.http.path %q) = %+v %v, want denied insufficient_scope", rawPath, httpPath, resp, err)
		}
	}
	for _, p := range paths {
		t.Run(p.rest, func(t *testing.T) {
			refusedREST(t, p.rest, "/demo"+p.rest)
			refusedHTTP(t, p.http, p.http)
			// One field clean, the other not: still refused.
			refusedREST(t, "/api/crm/contacts", "/demo"+p.rest)
			refusedHTTP(t, "/api/crm/contacts", p.http)
			refusedHTTP(t, p.http, "/api/crm/contacts")
		})
	}
	t.Run("fields that disagree", func(t *testing.T) {
		refusedREST(t, "/api/crm/contacts", "/demo/api/accounting/invoices")
		refusedHTTP(t, "/api/crm/contacts", "/api/accounting/invoices")
	})
	t.Run("decision", func(t *testing.T) {
		d, err := e.authz.Decide(ctx, authz.Request{Authorization: bearer, Method: "GET", Path: "/api/crm/..;/accounting/invoices"})
		if err != nil || d.Outcome != authz.Forbidden || d.Reason != authz.ReasonPath || d.ErrorCode() != "insufficient_scope" {
			t.Fatalf("%+v %v", d, err)
		}
	})
	t.Run("ordinary paths pass in both forms", func(t *testing.T) {
		for _, p := range []struct{ rest, http string }{
			{"/api/crm/contacts", "/api/crm/contacts"},
			{"/api/crm/contacts/M%C3%BCller%20GmbH", "/api/crm/contacts/Müller GmbH"},
			{"/api/crm/contacts/a%40b.example", "/api/crm/contacts/a@b.example"},
			{"/api/crm/", "/api/crm/"},
		} {
			resp, err := e.handler.REST(ctx, e.restEvent(t, request{header: bearer, method: "GET", path: p.rest}))
			if err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
				t.Errorf("REST %q = %+v %v, want Allow", p.rest, resp, err)
			}
			for _, stage := range []string{"", "v1"} {
				h, err := e.handler.HTTP(ctx, e.httpEvent(t, request{header: bearer, method: "GET", path: p.http, stage: stage}))
				if err != nil || !h.IsAuthorized {
					t.Errorf("HTTP %q (stage %q) = %+v %v, want allowed", p.http, stage, h, err)
				}
			}
		}
	})
	t.Run("no credentials still 401", func(t *testing.T) {
		resp, err := e.handler.HTTP(ctx, e.httpEvent(t, request{method: "GET", path: "/api/crm/..;/accounting"}))
		if err != nil || resp.IsAuthorized || resp.Context["error"] != "" || !strings.Contains(resp.Context["wwwAuthenticate"].(string), "Bearer") {
			t.Fatalf("%+v %v", resp, err)
		}
	})
}
