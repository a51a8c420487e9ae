package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/pat"
)

// Every code pat can return (pat.Codes, not this package's table) has a
// status of its own in the table, answers with it in a problem document
// of that code, and is one the API document names.
func TestEveryCodeHasAStatus(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(localstack.RepoRoot(t), "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas["Problem"].Value.Properties["code"].Value.Enum
	a := &API{log: slog.New(slog.DiscardHandler)}
	for _, code := range pat.Codes() {
		status, ok := statusOf[code]
		if !ok || status < 400 || status > 599 {
			t.Errorf("%s: status %d in the table (present: %v)", code, status, ok)
			continue
		}
		p := problemOf(t, a, pat.Errorf(code, "what to change"))
		if p.Status != status || p.Code != code {
			t.Errorf("%s: answered %d %s, want %d", code, p.Status, p.Code, status)
		}
		if !slices.Contains(documented, any(string(code))) {
			t.Errorf("%s: not in openapi.yaml's Problem.code", code)
		}
	}
}

// An error whose code the table lacks answers 500 "internal error", as any
// internal error does: never a status of 0, never its message.
func TestCodeMissingFromTheTableIsInternal(t *testing.T) {
	a := &API{log: slog.New(slog.DiscardHandler)}
	p := problemOf(t, a, pat.Errorf(pat.Code("not_in_the_table"), "a secret detail"))
	if p.Status != http.StatusInternalServerError || p.Code != pat.CodeInternal || p.Detail != "internal error" || p.Type != problemType+string(pat.CodeInternal) {
		t.Fatalf("%+v, want 500 internal", p)
	}
}

func problemOf(t *testing.T, a *API, err error) Problem {
	t.Helper()
	resp := a.problemFor(context.Background(), events.APIGatewayV2HTTPRequest{RouteKey: "GET /tokens"}, err)
	var p Problem
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != resp.StatusCode {
		t.Fatalf("status %d, body says %d", resp.StatusCode, p.Status)
	}
	return p
}
