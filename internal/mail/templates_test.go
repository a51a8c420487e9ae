package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/patservice/pat/internal/i18n"
	"github.com/patservice/pat/internal/pat"
)

// The language of an owner's mail: their choice, else their identity
// provider's locale (regional variants read as their language), else the
// deployment's default.
func TestLanguageOrder(t *testing.T) {
	for _, c := range []struct {
		name     string
		user     pat.User
		fallback i18n.Lang
		want     i18n.Lang
	}{
		{"their choice beats the locale", pat.User{Language: "de", Locale: "nl-NL"}, i18n.EN, i18n.DE},
		{"the locale, without a choice", pat.User{Locale: "nl-BE"}, i18n.DE, i18n.NL},
		{"a regional locale", pat.User{Locale: "de-CH"}, i18n.EN, i18n.DE},
		{"neither: the default", pat.User{}, i18n.NL, i18n.NL},
		{"a locale the service does not speak: the default", pat.User{Locale: "fr-FR"}, i18n.DE, i18n.DE},
	} {
		if got := Language(c.user, c.fallback); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// Every mail renders in every language: no key of a missing text, the
// token named, dates as the language writes them, and the subject in the
// same language as the body.
func TestEveryMailInEveryLanguage(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	used := at.Add(-40 * 24 * time.Hour)
	tok := pat.Token{ID: "Ab3dE5fG7hJ9Ab3dE5fG7hJ9kLm2N", UserID: "user-1", OwnerEmail: "owner@example.com", Name: "ci <deploy>", Scopes: []string{"crm:read"}, LastUsedAt: &used}
	admin := pat.Identity{UserID: "admin-1", Email: "root@example.com"}
	unreachable := at.Add(-24 * time.Hour)
	want := map[i18n.Lang]struct{ date, datetime, hello, lastUsed string }{
		i18n.EN: {"7 December 2026", "7 December 2026, 09:30 UTC", "Hello,", "28 October 2026"},
		i18n.DE: {"7. Dezember 2026", "7. Dezember 2026, 09:30 UTC", "Guten Tag,", "28. Oktober 2026"},
		i18n.NL: {"7 december 2026", "7 december 2026, 09:30 UTC", "Geachte gebruiker,", "28 oktober 2026"},
	}
	for _, lang := range i18n.Languages() {
		w := want[lang]
		mails := map[string]func() (pat.Message, error){
			"reminder (delete)": func() (pat.Message, error) {
				return ReminderMail(lang, []Reminder{{Token: tok, When: at, Link: "https://x/keep?code=c"}}, "https://console")
			},
			"reminders": func() (pat.Message, error) {
				return ReminderMail(lang, []Reminder{{Token: tok, When: at, Expiry: true, Link: "https://x/keep?code=c"}, {Token: tok, When: at, Link: "https://x/keep?code=d"}}, "https://console")
			},
			"deleted": func() (pat.Message, error) { return DeletedMail(lang, tok, 180*24*time.Hour, at, "https://console") },
			"held": func() (pat.Message, error) {
				return HeldDeletionMail(lang, "admins@example.com", tok, pat.User{Email: "owner@example.com", Unreachable: &unreachable, UnreachableCause: "bounce"}, 180*24*time.Hour, at, "https://console")
			},
			"email changed": func() (pat.Message, error) {
				return EmailChangedMail(lang, pat.User{ID: "user-1", Email: "old@example.com"}, "new@example.com", at, "https://console")
			},
		}
		for _, action := range []string{pat.ActionLocked, pat.ActionUnlocked, pat.ActionRevoked, pat.ActionCreated} {
			mails["admin "+action] = func() (pat.Message, error) {
				return AdminMail(lang, action, []pat.Token{tok}, admin, "leaked", at, "https://console")
			}
			mails["admin many "+action] = func() (pat.Message, error) {
				return AdminMail(lang, action, []pat.Token{tok, tok}, admin, "", at, "https://console")
			}
		}
		for name, compose := range mails {
			m, err := compose()
			if err != nil {
				t.Fatalf("%s in %s: %v", name, lang, err)
			}
			for part, s := range map[string]string{"subject": m.Subject, "text": m.Text, "HTML": m.HTML} {
				if strings.Contains(s, "mail.") {
					t.Errorf("%s in %s: the %s shows a key:\n%s", name, lang, part, s)
				}
			}
			if !strings.Contains(m.Text, w.hello) || !strings.Contains(m.HTML, w.hello) {
				t.Errorf("%s in %s: not in its language:\n%s", name, lang, m.Text)
			}
			if !strings.Contains(m.Text, w.date) && !strings.Contains(m.Text, w.datetime) {
				t.Errorf("%s in %s: no date as %s writes it (%q):\n%s", name, lang, lang, w.date, m.Text)
			}
			if name != "email changed" && (!strings.Contains(m.Text, tok.ID) || !strings.Contains(m.HTML, tok.ID)) {
				t.Errorf("%s in %s: the token is not named", name, lang)
			}
			if name != "email changed" && !strings.Contains(m.Text, w.lastUsed) {
				t.Errorf("%s in %s: last use not as %s writes it (%q)", name, lang, lang, w.lastUsed)
			}
			if strings.Contains(m.HTML, "ci <deploy>") {
				t.Errorf("%s in %s: the token's name is not escaped in the HTML", name, lang)
			}
		}
	}
}

// A German owner gets German mail, subject included; a Dutch one Dutch,
// with the seeds' words (widerrufen, sperren, Ablaufdatum; intrekken,
// blokkeren, vervaldatum) and formal address.
func TestGermanAndDutchOwners(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	tok := pat.Token{ID: "Ab3dE5fG7hJ9Ab3dE5fG7hJ9kLm2N", UserID: "user-1", OwnerEmail: "owner@example.com", Name: "ci deploy", Scopes: []string{"crm:read"}}
	admin := pat.Identity{UserID: "admin-1", Email: "root@example.com"}
	de := Language(pat.User{Language: "de"}, i18n.EN)
	m, err := ReminderMail(de, []Reminder{{Token: tok, When: at, Expiry: true, Link: "https://x/keep?code=c"}}, "https://console")
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != `Ihr Token "ci deploy" läuft am 7. Dezember 2026 ab` || !strings.Contains(m.Text, "Ablaufdatum: 7. Dezember 2026.") || !strings.Contains(m.Text, "Zuletzt verwendet: nie") {
		t.Errorf("German expiry reminder:\n%s\n%s", m.Subject, m.Text)
	}
	if m, _ = AdminMail(de, pat.ActionRevoked, []pat.Token{tok}, admin, "", at, "https://console"); !strings.Contains(m.Subject, "widerrufen") || !strings.Contains(m.Text, "Begründung: keine angegeben") {
		t.Errorf("German revocation:\n%s\n%s", m.Subject, m.Text)
	}
	if m, _ = AdminMail(de, pat.ActionLocked, []pat.Token{tok}, admin, "x", at, "https://console"); !strings.Contains(m.Subject, "gesperrt") || !strings.Contains(m.Text, "Wenn Sie") {
		t.Errorf("German lock:\n%s\n%s", m.Subject, m.Text)
	}
	nl := Language(pat.User{Locale: "nl-BE"}, i18n.DE)
	if m, _ = ReminderMail(nl, []Reminder{{Token: tok, When: at, Expiry: true, Link: "https://x/keep?code=c"}}, "https://console"); !strings.Contains(m.Subject, "verloopt op 7 december 2026") || !strings.Contains(m.Text, "Vervaldatum") {
		t.Errorf("Dutch expiry reminder:\n%s\n%s", m.Subject, m.Text)
	}
	for action, word := range map[string]string{pat.ActionRevoked: "ingetrokken", pat.ActionLocked: "geblokkeerd"} {
		if m, _ = AdminMail(nl, action, []pat.Token{tok}, admin, "x", at, "https://console"); !strings.Contains(m.Subject, word) || !strings.Contains(m.Text, "uw toegangstoken") {
			t.Errorf("Dutch %s:\n%s\n%s", action, m.Subject, m.Text)
		}
	}
}
