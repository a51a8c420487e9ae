package httpapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/pat"
)

// The keep page says why a link cannot keep its token, before and after
// the click: a locked token, or one whose scopes its owner no longer
// holds (their rights as recorded at their last sign-in).
func TestKeepPageSaysWhyNot(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.call(t, "create-token", alice).fields()["id"].(string)
	tok, err := h.Service.Store.GetToken(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	code, err := h.Service.IssueKeepLink(ctx, tok, pat.KeepExpiry, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	open := func(ev *events.APIGatewayV2HTTPRequest) {
		ev.QueryStringParameters = map[string]string{"code": code}
		ev.RawQueryString = "code=" + url.QueryEscape(code)
	}
	click := body("code=" + url.QueryEscape(code))
	h.call(t, "admin-lock-token", onToken(id))
	for _, r := range []result{h.call(t, "keep-token-get", open), h.call(t, "keep-token-post", click)} {
		if r.Status != 409 || !strings.Contains(string(r.Body), "locked") {
			t.Fatalf("keep a locked token: %d %s", r.Status, r.Body)
		}
	}
	h.call(t, "admin-unlock-token", onToken(id))
	// alice signs in without crm:* (the token's scopes): her record says so.
	h.call(t, "get-token", as("user-alice", "orders:read"), onToken(id))
	h.call(t, "create-token", as("user-alice", "orders:read"), body(`{"name":"orders","scopes":["orders:read"]}`))
	for _, r := range []result{h.call(t, "keep-token-get", open), h.call(t, "keep-token-post", click)} {
		if r.Status != 409 || !strings.Contains(string(r.Body), "permissions") {
			t.Fatalf("keep a token beyond the owner's rights: %d %s", r.Status, r.Body)
		}
	}
	if got, _ := h.Service.Store.GetToken(ctx, id); got.ExtendedAt != nil {
		t.Fatalf("a refused keep link kept the token: %+v", got)
	}
}
