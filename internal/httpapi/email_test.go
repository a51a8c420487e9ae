package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/sesmail"
)

// signIn is a session of user with an address and, unless verified is
// empty, an email_verified claim as API Gateway passes it on ("true",
// "false").
func signIn(user, email, verified string) edit {
	return func(ev *events.APIGatewayV2HTTPRequest) {
		claims := map[string]string{"sub": user, "email": email, "permissions": "[" + ownerGrants + "]"}
		if verified != "" {
			claims["email_verified"] = verified
		}
		ev.RequestContext.Authorizer.JWT.Claims = claims
	}
}

// A new address from the identity provider is not taken silently: the
// change is audited, the old address is told (naming the new one), and
// mail about the user's tokens goes to the new address from then on.
func TestEmailChangeIsAuditedAndTheOldAddressTold(t *testing.T) {
	h := newHarness(t)
	mail, err := sesmail.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	h.build(t, h.DB, mail)
	user := fmt.Sprintf("user-moves-%d", time.Now().UnixNano())
	old, moved := user+"@old.example", user+"@new.example"
	id := h.call(t, "create-token", signIn(user, old, "true")).fields()["id"].(string)

	if r := h.call(t, "extend-token", signIn(user, moved, "true"), onToken(id)); r.Status != 200 {
		t.Fatalf("extend after a change of address: %d %s", r.Status, r.Body)
	}
	audit := h.call(t, "admin-list-audit", query("owner", user, "action", "user.email_changed"))
	items, _ := audit.fields()["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("audit of the change: %s", audit.Body)
	}
	details, _ := items[0].(map[string]any)["details"].(map[string]any)
	if details["from"] != old || details["to"] != moved || items[0].(map[string]any)["actorId"] != user {
		t.Fatalf("audit record: %v", items[0])
	}
	told := localstack.Inbox(t, old)
	// The creation's notice went to the old address, then the change's.
	if len(told) != 2 || !strings.Contains(told[1].Body.Text, moved) || !strings.Contains(told[1].Body.HTML, moved) {
		t.Fatalf("the old address got %d mails: %+v", len(told), told)
	}
	if got := h.call(t, "admin-get-token", onToken(id)).fields()["ownerEmail"]; got != moved {
		t.Fatalf("the token's mail goes to %v, want %s", got, moved)
	}
	// The same address again changes nothing.
	h.call(t, "extend-token", signIn(user, moved, "true"), onToken(id))
	if items, _ := h.call(t, "admin-list-audit", query("owner", user, "action", "user.email_changed")).fields()["items"].([]any); len(items) != 1 {
		t.Fatalf("%d changes audited, want 1", len(items))
	}
}

// An address the identity provider marks unverified receives no token
// mail: the stored address stays (none for a user never seen), and no
// change is recorded, until a sign-in brings it verified. A provider that
// sends no email_verified claim at all has its addresses taken as verified.
func TestUnverifiedAddressGetsNoTokenMail(t *testing.T) {
	h := newHarness(t)
	h.cfg.Claims.EmailVerified = "email_verified"
	h.build(t, h.DB, nil)
	user := fmt.Sprintf("user-unverified-%d", time.Now().UnixNano())
	verified, unverified := user+"@verified.example", user+"@unverified.example"
	ownerEmail := func(id string) any { return h.call(t, "admin-get-token", onToken(id)).fields()["ownerEmail"] }

	first := h.call(t, "create-token", signIn(user, unverified, "false")).fields()["id"].(string)
	if got := ownerEmail(first); got != nil {
		t.Fatalf("a token of a user never verified mails %v", got)
	}
	second := h.call(t, "create-token", signIn(user, verified, "true")).fields()["id"].(string)
	if ownerEmail(first) != verified || ownerEmail(second) != verified {
		t.Fatalf("once verified: %v, %v", ownerEmail(first), ownerEmail(second))
	}
	third := h.call(t, "create-token", signIn(user, unverified, "false")).fields()["id"].(string)
	for _, id := range []string{first, second, third} {
		if got := ownerEmail(id); got != verified {
			t.Fatalf("after an unverified sign-in, token %s mails %v", id, got)
		}
	}
	if r := h.call(t, "admin-get-user", onUser(user)); r.fields()["email"] != verified {
		t.Fatalf("user: %s", r.Body)
	}
	if items, _ := h.call(t, "admin-list-audit", query("owner", user, "action", "user.email_changed")).fields()["items"].([]any); len(items) != 0 {
		t.Fatalf("unverified addresses were audited as changes: %v", items)
	}
	// No such claim at all: verified.
	other := fmt.Sprintf("user-noclaim-%d", time.Now().UnixNano())
	id := h.call(t, "create-token", signIn(other, other+"@example.com", "")).fields()["id"].(string)
	if got := ownerEmail(id); got != other+"@example.com" {
		t.Fatalf("without an email_verified claim the token mails %v", got)
	}
}
