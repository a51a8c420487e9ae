package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/localstack"
	"github.com/patservice/pat/internal/sesmail"
)

// PATCH /me records the language of the caller's mail: de, nl or en; null
// or "" removes the choice; anything else is 400 and changes nothing.
func TestMeChoosesTheLanguageOfMail(t *testing.T) {
	h := newHarness(t)
	if got := h.call(t, "get-me", alice).fields()["language"]; got != nil {
		t.Fatalf("a new user has a language: %v", got)
	}
	if r := h.call(t, "update-me", alice, body(`{"language":"de"}`)); r.Status != 200 || r.fields()["language"] != "de" {
		t.Fatalf("choose de: %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{`{"language":"fr"}`, `{"language":"de-CH"}`, `{"language":"DE"}`, `{"language":7}`, `{"lang":"nl"}`} {
		if r := h.call(t, "update-me", alice, body(bad)); r.Status != 400 || r.code() != "invalid_request" {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	if got := h.call(t, "get-me", alice).fields()["language"]; got != "de" {
		t.Fatalf("after refused changes: %v", got)
	}
	for _, clear := range []string{`{"language":null}`, `{"language":""}`} {
		h.call(t, "update-me", alice, body(`{"language":"nl"}`))
		if r := h.call(t, "update-me", alice, body(clear)); r.Status != 200 || r.fields()["language"] != nil {
			t.Errorf("%s: %d %s", clear, r.Status, r.Body)
		}
	}
}

// The owner's notice of an administrator's action is in the owner's
// language: their choice, else the locale claim their sign-in brought,
// else the deployment's default.
func TestNoticesInTheOwnersLanguage(t *testing.T) {
	h := newHarness(t)
	mail, err := sesmail.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	h.cfg.DefaultLanguage, h.cfg.Claims.Locale = i18n.NL, "locale"
	h.build(t, h.DB, mail)
	withLocale := func(owner, locale string) edit {
		return func(ev *events.APIGatewayV2HTTPRequest) {
			as(owner, ownerGrants)(ev)
			if locale != "" {
				ev.RequestContext.Authorizer.JWT.Claims["locale"] = locale
			}
		}
	}
	for _, c := range []struct {
		name, locale, choice, subject string
	}{
		{"a choice beats the locale", "nl-BE", "de", "von einem Administrator gesperrt"},
		{"the locale without a choice", "de-CH", "", "von einem Administrator gesperrt"},
		{"a choice of English", "de-AT", "en", "was locked by an administrator"},
		{"neither: the default", "", "", "door een beheerder geblokkeerd"},
		{"a locale the service does not speak: the default", "fr-FR", "", "door een beheerder geblokkeerd"},
	} {
		t.Run(c.name, func(t *testing.T) {
			owner := fmt.Sprintf("user-lang-%d", time.Now().UnixNano())
			id := h.call(t, "create-token", withLocale(owner, c.locale)).fields()["id"].(string)
			if c.choice != "" {
				if r := h.call(t, "update-me", withLocale(owner, c.locale), body(`{"language":"`+c.choice+`"}`)); r.Status != 200 {
					t.Fatalf("choose %s: %d %s", c.choice, r.Status, r.Body)
				}
			}
			h.call(t, "admin-lock-token", onToken(id), body(`{"reason":"seen in a public repository"}`))
			mails := localstack.Inbox(t, owner+"@example.com") // the creation's notice, then the lock's
			if len(mails) != 2 || !strings.Contains(mails[1].Subject, c.subject) || !strings.Contains(mails[1].Body.Text, "seen in a public repository") {
				t.Fatalf("want %q: %d mails %v", c.subject, len(mails), mails)
			}
		})
	}
}
